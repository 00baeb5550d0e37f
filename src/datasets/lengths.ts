/**
 * Row lengths: a cheap estimate the linter always has, and the distribution the summary shows.
 * The real count (the model's tokenizer and chat template) comes from an injected MeasureFn, see
 * templateLength.ts; the core never loads a tokenizer.
 */
import type { Conversation } from './types';

/** Said wherever an estimate is shown, so nobody mistakes it for a token count. */
export const ESTIMATE_LABEL = 'estimated: about 4 characters a token, 1 per non-ASCII character';

/** Rough per-message cost of a chat template's role header and end marker. */
const PER_MESSAGE = 4;

function estimateText(s: string): number {
  let nonAscii = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) nonAscii++;
  // English BPE runs near 4 characters a token; CJK and most other scripts near one.
  return Math.ceil((s.length - nonAscii) / 4) + nonAscii;
}

/** Estimated tokens of the longest conversation: text length over ~4, plus a few per message. */
export function estimateTokens(conversations: readonly Conversation[]): number {
  let best = 0;
  for (const c of conversations) {
    let n = c.addGenerationPrompt ? 3 : 0;
    for (const m of c.messages) n += PER_MESSAGE + estimateText(m.content) + (m.reasoning ? estimateText(m.reasoning) + 2 : 0);
    if (n > best) best = n;
  }
  return best;
}

export interface LengthStats {
  /** `tokenizer` when every counted row came from the MeasureFn, `estimate` otherwise. */
  source: 'tokenizer' | 'estimate';
  /** Rows counted. */
  count: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentiles over the values (sorted in place). Undefined for none. */
export function lengthStats(values: number[], source: LengthStats['source']): LengthStats | undefined {
  if (values.length === 0) return undefined;
  const s = Float64Array.from(values).sort();
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { source, count: s.length, min: s[0]!, median: rank(0.5), p95: rank(0.95), max: s[s.length - 1]! };
}
