import { randomUUID } from 'node:crypto';
import type { FutureFault } from './faults';
import { HttpError, type Reply } from './http';

/** What retrieve_future answers for a failed future (MinT uses category "system"). */
export interface FutureFailure {
  error: string;
  category: string;
}

/**
 * A failure the work reports on purpose, with a message written for the client (a non-finite
 * loss, a refused step). Anything else thrown inside a future is a defect of the emulator.
 */
export class FutureWorkError extends Error {}

type Outcome = { ok: true; value: unknown } | { ok: false; failure: FutureFailure };

interface FutureRecord {
  id: string;
  kind: string;
  createdAt: number;
  /** Expected work time, for the queue ETA headers. */
  expectedMs: number;
  outcome?: Outcome;
  /** Polls that must still be answered "pending" even after the result exists (fault injection). */
  pendingPolls: number;
  forcedError?: FutureFailure;
  waiters: Set<() => void>;
  /** Order among pending futures, for X-Queue-Position. */
  seq: number;
  payloadKey?: string;
  /** For samples: the token budget, to report generation progress while pending. */
  maxTokens?: number;
}

/** MinT bounds Retry-After to this range (seconds). */
const RETRY_AFTER_MIN_S = 1;
const RETRY_AFTER_MAX_S = 30;
/** Finished futures are forgotten after this long, as MinT's result TTL does (shortened: this is a dev server). */
const RESULT_TTL_MS = 60 * 60 * 1000;

/**
 * The futures of every async route. Completion wakes held long-polls through callbacks, never
 * through a polling timer, so a result reaches a waiting caller in the same event-loop turn.
 */
export class FutureStore {
  /** `log` receives the stack of every internal error a future's work throws. */
  constructor(private readonly log: (line: string) => void = () => {}) {}

  private readonly futures = new Map<string, FutureRecord>();
  private pendingCount = 0;
  private seqCounter = 0;
  /** Pending futures by kind, e.g. for the sampling backpressure check. */
  private readonly pendingByKind = new Map<string, number>();

  create(kind: string, opts: { id?: string | undefined; fault?: FutureFault | undefined; expectedMs?: number; payloadKey?: string; maxTokens?: number } = {}): string {
    const id = opts.id ?? randomUUID().replace(/-/g, '');
    const rec: FutureRecord = {
      id,
      kind,
      createdAt: Date.now(),
      expectedMs: opts.expectedMs ?? 0,
      pendingPolls: opts.fault?.pendingPolls ?? 0,
      waiters: new Set(),
      seq: this.seqCounter++,
    };
    if (opts.fault?.error) rec.forcedError = opts.fault.error;
    if (opts.payloadKey !== undefined) rec.payloadKey = opts.payloadKey;
    if (opts.maxTokens !== undefined) rec.maxTokens = opts.maxTokens;
    this.futures.set(id, rec);
    this.pendingCount++;
    this.pendingByKind.set(kind, (this.pendingByKind.get(kind) ?? 0) + 1);
    return id;
  }

  get(id: string): { kind: string; payloadKey?: string | undefined; done: boolean } | undefined {
    const rec = this.futures.get(id);
    return rec && { kind: rec.kind, payloadKey: rec.payloadKey, done: rec.outcome !== undefined };
  }

  pendingOfKind(kind: string): number {
    return this.pendingByKind.get(kind) ?? 0;
  }

  resolve(id: string, value: unknown): void {
    const rec = this.futures.get(id);
    if (!rec || rec.outcome) return;
    this.finish(rec, rec.forcedError ? { ok: false, failure: rec.forcedError } : { ok: true, value });
  }

  reject(id: string, failure: FutureFailure): void {
    const rec = this.futures.get(id);
    if (!rec || rec.outcome) return;
    this.finish(rec, { ok: false, failure: rec.forcedError ?? failure });
  }

  /**
   * Runs `work` after `delayMs` and settles the future with its value (awaited when it is a
   * promise) or with the message of what it threw.
   */
  settleLater(id: string, delayMs: number, work: () => unknown): void {
    const fail = (err: unknown) => this.reject(id, { error: this.describeFailure(id, err), category: 'system' });
    const run = () => {
      let out: unknown;
      try {
        out = work();
      } catch (err) {
        fail(err);
        return;
      }
      if (out instanceof Promise) out.then((v: unknown) => this.resolve(id, v), fail);
      else this.resolve(id, out);
    };
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else setImmediate(run);
  }

  /**
   * The one-line error a failed future reports. An unexpected exception keeps its class and
   * message there, so the client's report names it, and its stack goes to the log, so the next
   * one can be traced without a reproduction.
   */
  private describeFailure(id: string, err: unknown): string {
    if (err instanceof FutureWorkError || err instanceof HttpError) return err.message;
    const kind = this.futures.get(id)?.kind ?? 'future';
    const summary = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    this.log(`internal error in ${kind} ${id}: ${err instanceof Error ? err.stack ?? summary : summary}`);
    return `Internal emulator error in ${kind} (${summary.replace(/\s+/g, ' ').slice(0, 300)}); this is an emulator bug, and its stack is in the emulator log.`;
  }

  private finish(rec: FutureRecord, outcome: Outcome): void {
    rec.outcome = outcome;
    this.pendingCount--;
    this.pendingByKind.set(rec.kind, (this.pendingByKind.get(rec.kind) ?? 1) - 1);
    const waiters = [...rec.waiters];
    rec.waiters.clear();
    for (const w of waiters) w();
    // Only this record: after a reset, a new future may reuse a deterministic sample id.
    setTimeout(() => this.futures.get(rec.id) === rec && this.futures.delete(rec.id), RESULT_TTL_MS).unref();
  }

  /**
   * The retrieve_future answer: the result as soon as there is one, else a 408 after holding the
   * poll for up to `longPollMs`. `onClose` lets the caller release a held poll whose client left.
   */
  async retrieve(id: string, longPollMs: number, onClose: (release: () => void) => void): Promise<Reply | undefined> {
    const rec = this.futures.get(id);
    if (!rec) return undefined;
    if (rec.pendingPolls > 0) {
      rec.pendingPolls--;
      return this.pendingReply(rec);
    }
    if (!rec.outcome && longPollMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          rec.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, longPollMs);
        rec.waiters.add(done);
        onClose(done);
      });
    }
    if (!rec.outcome) return this.pendingReply(rec);
    if (rec.outcome.ok) return { status: 200, body: rec.outcome.value };
    return { status: 200, body: { error: rec.outcome.failure.error, category: rec.outcome.failure.category } };
  }

  private pendingReply(rec: FutureRecord): Reply {
    let position = 0;
    if (!rec.outcome) for (const f of this.futures.values()) if (!f.outcome && f.seq < rec.seq) position++;
    const depth = Math.max(this.pendingCount, rec.outcome ? 0 : 1);
    const elapsed = Date.now() - rec.createdAt;
    const etaS = Math.max(0, (rec.expectedMs - elapsed) / 1000);
    const retryAfter = Math.min(RETRY_AFTER_MAX_S, Math.max(RETRY_AFTER_MIN_S, Math.ceil(etaS)));
    const status = position > 0 ? 'queued' : 'running';
    const headers: Record<string, string> = {
      'Retry-After': String(retryAfter),
      'X-Queue-Status': status,
      'X-Queue-Position': String(position),
      'X-Queue-Depth': String(depth),
      'X-Queue-ETA-S': etaS.toFixed(3),
    };
    const body: Record<string, unknown> = {
      type: 'try_again',
      request_id: rec.id,
      queue_state: 'active',
      status,
      retry_after_s: retryAfter,
      queue_position: position,
      queue_depth: depth,
      eta_s: Number(etaS.toFixed(3)),
    };
    if (rec.maxTokens !== undefined) {
      // The emulator generates at completion; progress is the elapsed share of the work time.
      const share = rec.outcome ? 1 : rec.expectedMs > 0 ? Math.min(1, elapsed / rec.expectedMs) : 0;
      const generated = Math.floor(share * rec.maxTokens);
      headers['X-Queue-Tokens-Generated'] = String(generated);
      headers['X-Queue-Max-Tokens'] = String(rec.maxTokens);
      body['progress'] = { tokens_generated: generated, max_tokens: rec.maxTokens };
    }
    return { status: 408, headers, body };
  }

  clear(): void {
    for (const rec of this.futures.values()) {
      for (const w of [...rec.waiters]) w();
    }
    this.futures.clear();
    this.pendingCount = 0;
    this.pendingByKind.clear();
  }
}
