import { randomUUID } from 'node:crypto';
import type { FutureFault } from './faults';
import { pendingReply, publicError, throttledReply, type QueueView } from './futureReplies';
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

/** Who a future belongs to, for the pending reply's model_id/seq_id/... fields. */
export interface FutureMeta {
  modelId?: string;
  sessionId?: string;
  samplingSessionId?: string;
  seqId?: number | null | undefined;
  baseModel?: string;
}

/** The settings the store reads on every call, so /_emulator/config changes apply at once. */
export interface FutureSettings {
  longPollMs: number;
  maskErrors: boolean;
  legacyQueueHeaders: boolean;
  resultHotTtlMs: number;
  futurePendingTtlMs: number;
}

interface FutureRecord {
  id: string;
  kind: string;
  createdAt: number;
  /** When its work began; undefined while it waits in a model's queue. */
  startedAt: number | undefined;
  /** Expected work time, for the sampling stage and the legacy ETA. */
  expectedMs: number;
  outcome?: Outcome;
  /** When a caller first read the outcome; MinT serves re-reads from a hot cache for a while after. */
  retrievedAt?: number;
  /** Polls that must still be answered "pending" even after the result exists (fault injection). */
  pendingPolls: number;
  forcedError?: FutureFailure;
  waiters: Set<() => void>;
  /** Creation order, for the legacy X-Queue-Position. */
  seq: number;
  payloadKey?: string;
  /** For samples: the token budget, to report generation progress while pending. */
  maxTokens?: number;
  meta: FutureMeta;
  /** With long-poll off, a re-poll before this time is throttled, as MinT's minimum poll interval does. */
  nextProbeAt?: number;
  /** Takes a queued future out of its model's queue; true when it had not started. */
  dequeue?: () => boolean;
}

/** MinT's retrieve_future_min_poll_s. */
const MIN_POLL_MS = 1_000;
/** MinT keeps task results for 24 h; a record lives that long after it finishes. */
const RECORD_TTL_MS = 24 * 60 * 60 * 1000;
/** Share of a sample's work time reported as prefill before decode begins. */
const PREFILL_SHARE = 0.2;
const SAMPLING_KINDS = new Set(['sample', 'compute_logprobs']);
const RETRIEVED: FutureFailure = { error: 'Future already retrieved', category: 'system' };

export interface CancelResult {
  ok: true;
  request_id: string;
  was_terminal: boolean;
  reason: 'cancelled';
  cancelled: boolean;
}

/**
 * The futures of every async route. Completion wakes held long-polls through callbacks, never
 * through a polling timer, so a result reaches a waiting caller in the same event-loop turn.
 */
export class FutureStore {
  /** `log` receives the stack of every internal error a future's work throws. */
  constructor(
    private readonly settings: () => FutureSettings,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private readonly futures = new Map<string, FutureRecord>();
  private pendingCount = 0;
  private seqCounter = 0;
  /** Pending futures by kind, e.g. for the sampling backpressure check. */
  private readonly pendingByKind = new Map<string, number>();

  create(
    kind: string,
    opts: {
      id?: string | undefined;
      fault?: FutureFault | undefined;
      expectedMs?: number;
      payloadKey?: string;
      maxTokens?: number;
      queued?: boolean;
      meta?: FutureMeta;
    } = {},
  ): string {
    const id = opts.id ?? randomUUID().replace(/-/g, '');
    const now = Date.now();
    const rec: FutureRecord = {
      id,
      kind,
      createdAt: now,
      startedAt: opts.queued ? undefined : now,
      expectedMs: opts.expectedMs ?? 0,
      pendingPolls: opts.fault?.pendingPolls ?? 0,
      waiters: new Set(),
      seq: this.seqCounter++,
      meta: opts.meta ?? {},
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

  /** Marks a queued future as running (its model reached it). */
  markStarted(id: string): void {
    const rec = this.futures.get(id);
    if (rec && rec.startedAt === undefined) rec.startedAt = Date.now();
  }

  /** How cancel_future takes this future out of its queue. */
  onDequeue(id: string, dequeue: () => boolean): void {
    const rec = this.futures.get(id);
    if (rec) rec.dequeue = dequeue;
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
   * MinT's cancel_future for model work: a future still pending fails with "Model work request
   * cancelled: <reason>"; one still queued is taken out so its work never runs. A running op's
   * work goes on (the GPU is not interrupted), and, as on MinT, the reply then says cancelled false.
   */
  cancel(id: string, reason: string): CancelResult | undefined {
    const rec = this.futures.get(id);
    if (!rec) return undefined;
    if (rec.outcome) return { ok: true, request_id: id, was_terminal: true, reason: 'cancelled', cancelled: false };
    const removed = rec.startedAt === undefined && (rec.dequeue?.() ?? false);
    rec.pendingPolls = 0;
    this.finish(rec, { ok: false, failure: { error: `Model work request cancelled: ${reason}`, category: 'system' } });
    return { ok: true, request_id: id, was_terminal: !removed, reason: 'cancelled', cancelled: removed };
  }

  /**
   * Runs `work` after `delayMs` and settles the future with its value (awaited when it is a
   * promise) or with the message of what it threw.
   */
  settleLater(id: string, delayMs: number, work: () => unknown): void {
    const fail = (err: unknown) => this.reject(id, { error: this.describeFailure(id, err), category: 'system' });
    const run = () => {
      // A reset or close forgot this future: its work (training, saving to --data-dir) must not run.
      if (!this.futures.has(id)) return;
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
    this.log(`internal error in ${kind} ${id}: ${err instanceof Error ? (err.stack ?? summary) : summary}`);
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
    setTimeout(() => this.futures.get(rec.id) === rec && this.futures.delete(rec.id), RECORD_TTL_MS).unref();
  }

  /**
   * The retrieve_future answer: the result as soon as there is one, else a 408 after holding the
   * poll for up to the long-poll window. `onClose` lets the caller release a held poll whose
   * client left. Undefined means the id is unknown.
   */
  async retrieve(id: string, onClose: (release: () => void) => void): Promise<Reply | undefined> {
    const rec = this.futures.get(id);
    if (!rec) return undefined;
    const s = this.settings();
    const now = Date.now();
    if (s.longPollMs <= 0 && rec.nextProbeAt !== undefined && now < rec.nextProbeAt) {
      return throttledReply(Math.max(1, Math.ceil((rec.nextProbeAt - now) / 1000)));
    }
    if (rec.pendingPolls > 0) {
      rec.pendingPolls--;
      return this.pending(rec, s);
    }
    if (!rec.outcome && now - rec.createdAt > s.futurePendingTtlMs) {
      rec.dequeue?.();
      this.finish(rec, { ok: false, failure: { error: 'Future expired', category: 'system' } });
    }
    if (!rec.outcome && s.longPollMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          rec.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, s.longPollMs);
        rec.waiters.add(done);
        onClose(done);
      });
    }
    if (!rec.outcome) return this.pending(rec, this.settings());
    return { status: 200, body: this.terminalBody(rec) };
  }

  private terminalBody(rec: FutureRecord): unknown {
    const now = Date.now();
    const s = this.settings();
    if (rec.retrievedAt === undefined) {
      rec.retrievedAt = now;
      // Past the hot-cache window the value is not needed again: free it.
      const hot = s.resultHotTtlMs;
      setTimeout(() => {
        if (rec.outcome) rec.outcome = { ok: false, failure: RETRIEVED };
      }, hot + 1).unref();
    } else if (now - rec.retrievedAt > s.resultHotTtlMs) {
      rec.outcome = { ok: false, failure: RETRIEVED };
    }
    const o = rec.outcome!;
    if (o.ok) return o.value;
    return { error: s.maskErrors ? publicError(o.failure.error) : o.failure.error, category: o.failure.category };
  }

  private pending(rec: FutureRecord, s: FutureSettings): Reply {
    if (s.longPollMs <= 0) rec.nextProbeAt = Date.now() + MIN_POLL_MS;
    return pendingReply(rec.id, this.queueView(rec), s.legacyQueueHeaders ? this.legacyNumbers(rec) : undefined);
  }

  private queueView(rec: FutureRecord): QueueView {
    const now = Date.now();
    const m = rec.meta;
    const view: QueueView = {
      status: 'queued',
      stage: 'queued',
      queuedForS: (now - rec.createdAt) / 1000,
      runningForS: null,
      progress: undefined,
      model_id: m.modelId ?? null,
      session_id: m.sessionId ?? null,
      sampling_session_id: m.samplingSessionId ?? null,
      seq_id: m.seqId ?? null,
      base_model: m.baseModel ?? null,
    };
    // A future held pending by a fault after its work is done reads as one still waiting in line.
    if (rec.startedAt === undefined || rec.outcome) return view;
    view.runningForS = (now - rec.startedAt) / 1000;
    if (!SAMPLING_KINDS.has(rec.kind)) return { ...view, status: 'running', stage: 'running' };
    // The emulator generates at completion; the stages follow the elapsed share of the work time.
    const share = rec.expectedMs > 0 ? Math.min(1, (now - rec.startedAt) / rec.expectedMs) : 0;
    if (share < PREFILL_SHARE || rec.maxTokens === undefined) return { ...view, status: 'prefill', stage: 'prefill' };
    const generated = Math.floor(((share - PREFILL_SHARE) / (1 - PREFILL_SHARE)) * rec.maxTokens);
    return {
      ...view,
      status: 'decode',
      stage: 'decode',
      progress: { tokens_generated: Math.min(generated, rec.maxTokens), max_tokens: rec.maxTokens },
    };
  }

  private legacyNumbers(rec: FutureRecord): { position: number; depth: number; etaS: number } {
    let position = 0;
    if (!rec.outcome) for (const f of this.futures.values()) if (!f.outcome && f.seq < rec.seq) position++;
    const elapsed = Date.now() - (rec.startedAt ?? rec.createdAt);
    return { position, depth: Math.max(this.pendingCount, rec.outcome ? 0 : 1), etaS: Math.max(0, (rec.expectedMs - elapsed) / 1000) };
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
