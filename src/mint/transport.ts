/**
 * One HTTP attempt and the retry policy around it, on undici's `request` (not the global fetch,
 * so callers can inject a dispatcher for proxies and tests). Every error leaving this file is a
 * class of errors.ts (or CancelledError) and has had the API key scrubbed from it.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  APIConnectionError,
  APIResponseValidationError,
  APIStatusError,
  APITimeoutError,
  CancelledError,
  makeStatusError,
  TinkerError,
  detailOf,
  type ResponseHeaders,
} from './errors';
import { markMayHaveBeenApplied, mayHaveReachedServer, PROBE_OPTION, probingDispatcher, type SendProbe } from './exactlyOnce';
import {
  adviceFor,
  describeNetworkError,
  isUndiciTimeout,
  lowerKeys,
  normalizeHeaders,
  parseMaybeJson,
  requestIdFromReply,
  traceIdOf,
} from './replies';
import { backoffMs, isAmbiguousStatus, isRetryableStatus, retryAfterMs } from './retryRules';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a log may know about one HTTP attempt: no headers, no body, so never the key. */
export type RequestEvent = {
  method: string;
  path: string;
  status?: number;
  durationMs: number;
  attempt: number;
  request_id?: string;
  error?: string;
};

export interface TransportConfig {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRetries: number;
  dispatcher?: Dispatcher | undefined;
  userAgent: string;
  defaultHeaders?: Record<string, string> | undefined;
  onRequest?: ((e: RequestEvent) => void) | undefined;
}

export interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  durationMs: number;
  /** The unread body, when the spec's `streamIf` asked for it (then `text` is empty). */
  stream?: Readable;
}

export interface RequestSpec {
  method: HttpMethod;
  /** Relative to the base URL, no leading slash: "api/v1/asample". */
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  headers?: Record<string, string> | undefined;
  /** Per-attempt timeout; defaults to the client's `timeoutMs`. */
  attemptTimeoutMs?: number | undefined;
  /**
   * The route name of a mutating training op ("forward_backward"): never resent once the server
   * may have it (exactlyOnce.ts). Unset for everything MinT may safely see twice.
   */
  exactlyOnce?: string | undefined;
  /** Leaves the body unread (RawResponse.stream) for a reply this says is bulk data, e.g. an archive. */
  streamIf?: ((status: number, headers: ResponseHeaders) => boolean) | undefined;
}

/** Errors thrown by send() after the request may have reached the server (exactly-once requests only). */
const reachedServer = new WeakSet<Error>();

const REDACTED = '[REDACTED]';
/** undici's timers have ~0.5 s resolution; timeouts shorter than this get a precise timer. */
const PRECISE_TIMEOUT_BELOW_MS = 5_000;

// The cancellation/deadline helpers live in callContext.ts; re-exported for the other modules.
export { contextOf, sleep, throwIfCancelled, type CallContext, type CallOptions } from './callContext';
import { attemptSignal, reportRetryWait, retryReasonOf, sleep, throwIfCancelled, type CallContext } from './callContext';
// The retry rules live in retryRules.ts; re-exported because tests and older callers import them here.
export { backoffMs, isRetryableStatus, retryAfterMs } from './retryRules';

export class Transport {
  readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly fixedHeaders: Record<string, string>;
  /** The base URL's path ("/train/"), so logged paths show the prefix actually requested. */
  private readonly basePath: string;
  private closed = false;
  private probing: Dispatcher | undefined;
  /** Optional MinT routes this server turned out not to have ("cancel_future", "save_state"): not asked again. */
  readonly missingRoutes = new Set<string>();
  /** Aborted by close(): every attempt listens to it, so close() ends held long-polls at once. */
  private readonly closing = new AbortController();

  constructor(private readonly cfg: TransportConfig) {
    this.ownsDispatcher = !cfg.dispatcher;
    this.dispatcher =
      cfg.dispatcher ?? new Agent({ connect: { timeout: cfg.connectTimeoutMs }, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000 });
    this.fixedHeaders = {
      accept: 'application/json',
      'user-agent': cfg.userAgent,
      ...lowerKeys(cfg.defaultHeaders ?? {}),
    };
    if (cfg.apiKey) this.fixedHeaders['x-api-key'] = cfg.apiKey;
    this.basePath = new URL(cfg.baseUrl).pathname;
    // One listener per attempt in flight: 64 concurrent samples are normal, not a leak.
    setMaxListeners(0, this.closing.signal);
  }

  get baseUrl(): string {
    return this.cfg.baseUrl;
  }
  get maxRetries(): number {
    return this.cfg.maxRetries;
  }
  get apiKey(): string | undefined {
    return this.cfg.apiKey;
  }

  /**
   * Ends every request in flight (a held long-poll would otherwise keep close() waiting up to
   * 20 s); those calls reject with CancelledError, since the owner chose to stop them.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    if (this.ownsDispatcher) await this.dispatcher.destroy();
  }

  /** A backoff or pending wait that ends early on cancellation or close(). */
  wait(ms: number, ctx: CallContext): Promise<void> {
    return sleep(ms, ctx, this.closing.signal);
  }

  /** Replaces every occurrence of the key; applied to all text that can reach an error or a log. */
  redact(text: string): string {
    const key = this.cfg.apiKey;
    return key && text.includes(key) ? text.split(key).join(REDACTED) : text;
  }

  private redactHeaders(h: ResponseHeaders): ResponseHeaders {
    const key = this.cfg.apiKey;
    if (!key) return h;
    const out: ResponseHeaders = {};
    for (const k in h) out[k] = this.redact(h[k]!);
    return out;
  }

  url(path: string, query?: RequestSpec['query']): string {
    let u = this.cfg.baseUrl + path;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
      const s = q.toString();
      if (s) u += `?${s}`;
    }
    return u;
  }

  /**
   * Exactly one HTTP attempt, reported once to `onRequest`. Throws CancelledError,
   * APITimeoutError or APIConnectionError; any status comes back as a RawResponse.
   */
  async send(spec: RequestSpec, ctx: CallContext, attempt: number, idempotencyKey?: string): Promise<RawResponse> {
    throwIfCancelled(ctx);
    if (this.closed) throw new TinkerError('This MinT client is closed; create a new one.');
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = { ...this.fixedHeaders, 'x-stainless-retry-count': String(attempt) };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    if (idempotencyKey) headers['x-idempotency-key'] = idempotencyKey;
    if (spec.headers) Object.assign(headers, lowerKeys(spec.headers));

    let timeoutMs = spec.attemptTimeoutMs ?? this.cfg.timeoutMs;
    if (ctx.deadline !== undefined) timeoutMs = Math.min(timeoutMs, ctx.deadline - Date.now());
    const logPath = this.basePath + spec.path;
    const started = performance.now();
    if (timeoutMs <= 0) {
      const err = new APITimeoutError(
        `${spec.method} ${logPath} was not attempted: the caller's deadline had already passed. Raise timeoutMs or try again.`,
      );
      this.emit({ method: spec.method, path: logPath, durationMs: 0, attempt, error: err.message });
      throw err;
    }

    const signal = ctx.signal;
    const own = attemptSignal(signal, this.closing.signal, timeoutMs, ctx.deadline !== undefined || timeoutMs < PRECISE_TIMEOUT_BELOW_MS);
    // Only exactly-once requests pay for knowing whether the request was written.
    let probe: SendProbe | undefined;
    let dispatcher = this.dispatcher;
    if (spec.exactlyOnce) {
      probe = { written: false };
      dispatcher = this.probing ??= probingDispatcher(this.dispatcher);
    }
    try {
      const options: Parameters<typeof request>[1] & Record<string, unknown> = {
        method: spec.method,
        headers,
        body,
        dispatcher,
        signal: own ? own.signal : this.closing.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      };
      if (probe) options[PROBE_OPTION] = probe;
      const res = await request(url, options);
      const rh = normalizeHeaders(res.headers);
      const stream = spec.streamIf?.(res.statusCode, rh) ? res.body : undefined;
      const text = stream ? '' : await res.body.text();
      const durationMs = performance.now() - started;
      if (this.cfg.onRequest) {
        const ev: RequestEvent = { method: spec.method, path: logPath, status: res.statusCode, durationMs, attempt };
        const rid = traceIdOf(rh);
        if (rid) ev.request_id = this.redact(rid);
        this.emit(ev);
      }
      return stream
        ? { status: res.statusCode, headers: rh, text, durationMs, stream }
        : { status: res.statusCode, headers: rh, text, durationMs };
    } catch (err) {
      const durationMs = performance.now() - started;
      let out: Error;
      if (this.closed) out = new CancelledError(`${spec.method} ${logPath} was stopped: the MinT client was closed.`);
      else if (signal?.aborted && probe?.written && spec.exactlyOnce) {
        out = new CancelledError(
          `${spec.method} ${logPath} was cancelled after it was sent: MinT may have received ${spec.exactlyOnce} and will run it. Check before repeating it.`,
          { cause: signal.reason, mayHaveBeenApplied: true, training_op: spec.exactlyOnce },
        );
      } else if (signal?.aborted) out = new CancelledError(`${spec.method} ${logPath} was cancelled.`, { cause: signal.reason });
      else if (own?.timedOut() || isUndiciTimeout(err)) {
        out = new APITimeoutError(
          `${spec.method} ${logPath} timed out after ${Math.round(timeoutMs)} ms. The server or network is slow; try again, or raise the timeout.`,
          { cause: err },
        );
      } else {
        out = new APIConnectionError(
          `Could not reach MinT for ${spec.method} ${logPath}: ${this.redact(describeNetworkError(err))}. Check the base URL (${this.cfg.baseUrl}) and your network or proxy.`,
          { cause: err },
        );
      }
      if (probe && !(out instanceof CancelledError) && mayHaveReachedServer(err, probe)) reachedServer.add(out);
      this.emit({ method: spec.method, path: logPath, durationMs, attempt, error: out.message });
      throw out;
    } finally {
      own?.dispose();
    }
  }

  private emit(e: RequestEvent): void {
    const cb = this.cfg.onRequest;
    if (!cb) return;
    try {
      cb(e);
    } catch {
      // A logger's bug must not fail the request it was logging.
    }
  }

  /** The APIStatusError for a non-2xx reply, with the key scrubbed from everything it carries. */
  statusError(spec: Pick<RequestSpec, 'method' | 'path'>, raw: RawResponse): APIStatusError {
    const text = this.redact(raw.text);
    const body = parseMaybeJson(text);
    const headers = this.redactHeaders(raw.headers);
    const detail = detailOf(body, text);
    const request_id = requestIdFromReply(raw.status, headers, text);
    // A header id beside a body's Log ID is kept in the words too: support may ask for either.
    const trace = traceIdOf(headers);
    const msg =
      `MinT answered ${raw.status} to ${spec.method} /${spec.path}` +
      (detail ? `: ${detail}` : '') +
      ` (${adviceFor(raw.status)})` +
      (request_id ? ` [request id ${request_id}${trace && trace !== request_id ? `; trace id ${trace}` : ''}]` : '');
    return makeStatusError(raw.status, msg, { headers, body, request_id });
  }

  /** Parses and validates a reply; a non-JSON or mis-shaped body is a validation error, never a crash. */
  parse<S extends z.ZodType>(spec: Pick<RequestSpec, 'method' | 'path'>, raw: RawResponse, schema: S): z.infer<S> {
    let data: unknown;
    if (raw.text.length > 0) {
      try {
        data = JSON.parse(raw.text);
      } catch (cause) {
        // V8's JSON error quotes the body, which may echo the key: keep only a scrubbed copy.
        throw this.validationError(spec, raw, 'its body is not JSON', new SyntaxError(this.redact(String((cause as Error).message))));
      }
    }
    const r = schema.safeParse(data);
    if (!r.success) {
      const issues = r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
        .join('; ');
      throw this.validationError(spec, raw, `its body does not have the expected shape (${issues})`, r.error);
    }
    return r.data;
  }

  validationError(spec: Pick<RequestSpec, 'method' | 'path'>, raw: RawResponse, why: string, cause?: unknown): APIResponseValidationError {
    const text = this.redact(raw.text);
    const headers = this.redactHeaders(raw.headers);
    return new APIResponseValidationError(
      `MinT's reply to ${spec.method} /${spec.path} (HTTP ${raw.status}) could not be used: ${why}. ` +
        'The base URL may not point at a MinT server, or the server is a version this client does not know.',
      { status: raw.status, headers, body: parseMaybeJson(text), request_id: requestIdFromReply(raw.status, headers, text), cause },
    );
  }

  /**
   * A logical call: attempts with backoff on connection errors, timeouts, 408, 429 and 5xx
   * (or as `x-should-retry` says), one idempotency key for all of them, then zod validation.
   * An `exactlyOnce` request is repeated only after a refusal (see exactlyOnce.ts).
   */
  async request<S extends z.ZodType>(
    spec: RequestSpec & { schema: S; maxRetries?: number | undefined; okStatuses?: readonly number[] },
    ctx: CallContext,
  ): Promise<{ data: z.infer<S>; raw: RawResponse }> {
    const raw = await this.requestRaw(spec, ctx);
    try {
      return { data: this.parse(spec, raw, spec.schema), raw };
    } catch (err) {
      // MinT answered 2xx, so it took the op, but the reply (and its request id) cannot be read.
      if (!spec.exactlyOnce || !(err instanceof APIResponseValidationError)) throw err;
      throw new APIResponseValidationError(
        `MinT accepted ${spec.exactlyOnce} (HTTP ${raw.status}) but its reply could not be read, so the client cannot follow it: it may have been applied. Check before repeating it. (${err.message})`,
        {
          status: err.status,
          headers: err.headers,
          body: err.body,
          request_id: err.request_id,
          cause: err,
          mayHaveBeenApplied: true,
          training_op: spec.exactlyOnce,
        },
      );
    }
  }

  /** As `request`, but returns the reply unparsed (for 302s and other non-JSON successes). */
  async requestRaw(
    spec: RequestSpec & { maxRetries?: number | undefined; okStatuses?: readonly number[] },
    ctx: CallContext,
  ): Promise<RawResponse> {
    const maxRetries = spec.maxRetries ?? this.cfg.maxRetries;
    const idem = spec.method === 'GET' ? undefined : `mint-vscode-retry-${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      let failure: Error;
      let delay: number | undefined;
      let status: number | undefined;
      try {
        const raw = await this.send(spec, ctx, attempt, idem);
        if ((raw.status >= 200 && raw.status < 300) || spec.okStatuses?.includes(raw.status)) return raw;
        failure = this.statusError(spec, raw);
        if (spec.exactlyOnce && isAmbiguousStatus(raw.status, raw.headers)) {
          throw markMayHaveBeenApplied(failure as APIStatusError, spec.exactlyOnce);
        }
        if (!isRetryableStatus(raw.status, raw.headers) || attempt >= maxRetries) throw failure;
        delay = retryAfterMs(raw.headers);
        status = raw.status;
      } catch (err) {
        if (err instanceof APIStatusError || err instanceof CancelledError) throw err;
        if (spec.exactlyOnce && err instanceof APIConnectionError && reachedServer.has(err)) {
          throw markMayHaveBeenApplied(err, spec.exactlyOnce);
        }
        if (!(err instanceof APIConnectionError) || attempt >= maxRetries) throw err;
        // A timeout caused by the caller's own deadline cannot succeed on a retry.
        if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw err;
        failure = err;
      }
      const wait = delay ?? backoffMs(attempt);
      if (ctx.deadline !== undefined && Date.now() + wait >= ctx.deadline) throw failure;
      const { request_id } = failure as { request_id?: string };
      const path = this.basePath + spec.path;
      reportRetryWait(ctx, { attempt: attempt + 1, delayMs: wait, reason: retryReasonOf(status), path, status, request_id });
      await this.wait(wait, ctx);
    }
  }
}
