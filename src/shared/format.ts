/**
 * Words shown by both the extension and the playground page, written once so they cannot drift.
 * No imports: the extension's activation path may load this without pulling in zod.
 */

/** A model's context length in the one form the model picker and the playground both show: "32,768 ctx". */
export function contextLabel(maxContextLength: number): string {
  return `${maxContextLength.toLocaleString('en-US')} ctx`;
}
