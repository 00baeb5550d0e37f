/** The per-file summary as text: a short status-bar line and the lines of a hover. */
import type { DatasetSummary } from './linter';

function n(x: number): string {
  return x.toLocaleString('en-US');
}

export function summaryLines(s: DatasetSummary): { status: string; hover: string[] } {
  const c = s.counts;
  const problems =
    c.error + c.warning
      ? ` · ${c.error ? `${n(c.error)} error${c.error === 1 ? '' : 's'}` : ''}${c.error && c.warning ? ', ' : ''}${c.warning ? `${n(c.warning)} warning${c.warning === 1 ? '' : 's'}` : ''}`
      : '';
  const over = s.contextLength !== undefined && s.overContext ? ` · ${n(s.overContext)} over context` : '';
  const status = `${n(s.rows)} rows · ${s.format.format ?? 'unknown format'}${problems}${over}`;
  const hover: string[] = [];
  hover.push(`${n(s.rows)} rows${s.invalidRows ? ` (${n(s.invalidRows)} not valid)` : ''} on ${n(s.lines)} lines`);
  hover.push(
    s.format.format
      ? `Format: ${s.format.label}${s.format.forced ? ' (set by you)' : ` — ${s.format.matching} of the first ${s.format.sampled} rows`}`
      : 'Format: none recognised',
  );
  hover.push(`Findings: ${n(c.error)} errors, ${n(c.warning)} warnings, ${n(c.info)} notes`);
  const L = s.lengths;
  if (L) {
    const est = L.source === 'estimate' ? '~' : '';
    hover.push(
      `Tokens per row (${s.lengthLabel}): min ${est}${n(L.min)}, median ${est}${n(L.median)}, p95 ${est}${n(L.p95)}, max ${est}${n(L.max)}`,
    );
  }
  if (s.pendingMeasure) hover.push(`Measuring: ${n(s.measured)} of ${n(s.measured + s.pendingMeasure)} rows so far`);
  if (s.contextLength !== undefined) {
    const first = s.overContextLines.slice(0, 5).map((l) => l + 1);
    hover.push(
      s.overContext
        ? `${n(s.overContext)} row${s.overContext === 1 ? '' : 's'} over the ${n(s.contextLength)}-token context (line${first.length > 1 ? 's' : ''} ${first.join(', ')}${s.overContext > first.length ? ', …' : ''})`
        : `No row over the ${n(s.contextLength)}-token context`,
    );
  }
  return { status, hover };
}
