/**
 * Train/eval overlap: rows of an eval file that also occur in the train file measure memory, not
 * skill (the mint-cookbook audits this before every run). A row is reduced to its user and
 * assistant text, whitespace trimmed and runs of it collapsed, and hashed (53 bits), so two files
 * of 100,000 rows compare in one pass each.
 */
import { classifyRow, conversationsOf, isObj, type Obj } from './formats';
import type { FormatId } from './types';

/**
 * `conversation`: the user and assistant turns (DPO rows: the prompt and the chosen completion);
 * `prompt`: the user turns only (the same question with a different answer still leaks).
 */
export type OverlapBy = 'conversation' | 'prompt';

function norm(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

/** cyrb53: a fast 53-bit string hash; collisions are negligible at these sizes (~1e-6 for 10^5 × 10^5). */
export function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The normalised text a row is compared by, or undefined when it has none. */
export function overlapText(o: Obj, shape: FormatId, by: OverlapBy): string | undefined {
  const conv = conversationsOf(o, shape)[0];
  if (!conv) return undefined;
  const parts: string[] = [];
  for (const m of conv.messages) {
    if (m.role !== 'user' && (by === 'prompt' || m.role !== 'assistant')) continue;
    const t = norm(m.content);
    if (t) parts.push(`${m.role}\u0001${t}`);
  }
  return parts.length ? parts.join('\u0002') : undefined;
}

export function overlapKeyOf(o: Obj, shape: FormatId, by: OverlapBy): number | undefined {
  const t = overlapText(o, shape, by);
  return t === undefined ? undefined : hash53(t);
}

/** Key → lines for a whole text (for a file that is not open in the editor). */
export function overlapIndexOfText(text: string, by: OverlapBy = 'conversation'): Map<number, number[]> {
  const index = new Map<number, number[]>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let line = 0; line < lines.length; line++) {
    const l = lines[line]!;
    if (!l.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      continue;
    }
    if (!isObj(v)) continue;
    const shape = classifyRow(v)?.shape;
    if (!shape) continue;
    const key = overlapKeyOf(v, shape, by);
    if (key === undefined) continue;
    const at = index.get(key);
    if (at) at.push(line);
    else index.set(key, [line]);
  }
  return index;
}

export interface OverlapHit {
  /** Lines in the first index and in the second that hold the same row. */
  aLines: number[];
  bLines: number[];
}

/** Rows present in both indexes, in the order of their first line in `b`. */
export function findOverlap(a: ReadonlyMap<number, number[]>, b: ReadonlyMap<number, number[]>): OverlapHit[] {
  const hits: OverlapHit[] = [];
  for (const [key, bLines] of b) {
    const aLines = a.get(key);
    if (aLines) hits.push({ aLines, bLines });
  }
  return hits.sort((x, y) => x.bLines[0]! - y.bLines[0]!);
}
