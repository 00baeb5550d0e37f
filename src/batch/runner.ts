/**
 * Runs rows through `sampleRow` with at most `concurrency` in flight. A row's failure is its
 * result (sampleRow returns it as a record); the only thing that stops the run is the signal:
 * then no new row starts, and the rows in flight are aborted (their requests cancelled by the
 * client) and left without a result, so "Run remaining" picks them up.
 */
import type { PromptRow } from './promptFile';
import type { ResultRecord } from './results';

export interface BatchRunOptions {
  rows: readonly PromptRow[];
  concurrency: number;
  signal: AbortSignal;
  /** Samples one row; returns its record (status "error" for a failure). Throws only when cancelled. */
  sampleRow(row: PromptRow, signal: AbortSignal): Promise<ResultRecord>;
  /** Hears each finished row, in the order they finish. */
  onRecord(record: ResultRecord): void | Promise<void>;
}

export interface BatchSummary {
  ok: number;
  failed: number;
  /** Rows not finished because the run was cancelled. */
  notRun: number;
}

export async function runBatch(o: BatchRunOptions): Promise<BatchSummary> {
  const summary: BatchSummary = { ok: 0, failed: 0, notRun: 0 };
  let next = 0;
  // One listener on the run's signal aborts every row in flight (not one listener per request,
  // which a run of 64 at a time would pile onto a single signal).
  const inFlight = new Set<AbortController>();
  const abortAll = (): void => {
    for (const c of inFlight) c.abort(o.signal.reason);
  };
  o.signal.addEventListener('abort', abortAll, { once: true });
  const worker = async (): Promise<void> => {
    while (!o.signal.aborted && next < o.rows.length) {
      const row = o.rows[next++]!;
      const own = new AbortController();
      inFlight.add(own);
      let record: ResultRecord;
      try {
        record = await o.sampleRow(row, own.signal);
      } catch (e) {
        if (o.signal.aborted) {
          summary.notRun++;
          continue;
        }
        // A bug, not a row's failure: stop the other rows too rather than leave them running unseen.
        abortAll();
        throw e;
      } finally {
        inFlight.delete(own);
      }
      if (o.signal.aborted && record.status === 'error') {
        // Failed because it was cancelled: not a result, it runs again with "Run remaining".
        summary.notRun++;
        continue;
      }
      if (record.status === 'ok') summary.ok++;
      else summary.failed++;
      await o.onRecord(record);
    }
  };
  const n = Math.max(1, Math.min(o.concurrency, o.rows.length));
  try {
    await Promise.all(Array.from({ length: n }, worker));
  } finally {
    o.signal.removeEventListener('abort', abortAll);
  }
  summary.notRun += o.rows.length - next;
  return summary;
}
