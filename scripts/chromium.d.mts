// Types for scripts/chromium.mjs, which the page tests and benches import.
export const CHROMIUM_ARGS: string[];
export function chromiumPath(): string;
