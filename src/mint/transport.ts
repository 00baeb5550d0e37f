/**
 * One HTTP attempt and the retry policy around it, on undici's `request` (not the global fetch,
 * so callers can inject a dispatcher for proxies and tests). Every error leaving this file is a
 * class of errors.ts (or CancelledError) and has had the API key scrubbed from it.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
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
  type ResponseHeaders,
} from './errors';

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

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** The caller's deadline for the whole logical call, retries and polling included. */
  timeoutMs?: number | undefined;
}

/** The cancellation signal and deadline shared by every attempt of one logical call. */
export interface CallContext {
  signal: AbortSignal | undefined;
  deadline: number | undefined;
}

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
}

const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 8_000;
const RETRY_AFTER_LIMIT_MS = 60_000;
const REDACTED = '[REDACTED]';
/** undici's timers have ~0.5 s resolution; timeouts shorter than this get a precise timer. */
const PRECISE_TIMEOUT_BELOW_MS = 5_000;

export function contextOf(opts: CallOptions | undefined): CallContext {
  const t = opts?.timeoutMs;
  return { signal: opts?.signal, deadline: t !== undefined && t > 0 ? Date.now() + t : undefined };
}

export function throwIfCancelled(ctx: CallContext): void {
  if (ctx.signal?.aborted) throw new CancelledError(undefined, { cause: ctx.signal.reason });
}

/** Waits, but a cancellation (or `alsoStop`, e.g. the client closing) wins at once; never keeps the process alive alone. */
export function sleep(ms: number, ctx: CallContext, alsoStop?: AbortSignal): Promise<void> {
  throwIfCancelled(ctx);
  if (alsoStop?.aborted) return Promise.reject(new CancelledError('Stopped: the MinT client was closed.'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const signal = ctx.signal;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      alsoStop?.removeEventListener('abort', onStop);
    };
    const onAbort = () => {
      done();
      reject(new CancelledError(undefined, { cause: signal?.reason }));
    };
    const onStop = () => {
      done();
      reject(new CancelledError('Stopped: the MinT client was closed.'));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    alsoStop?.addEventListener('abort', onStop, { once: true });
  });
}

export function backoffMs(retryIndex: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** retryIndex, RETRY_CAP_MS) * (1 - 0.25 * Math.random());
}

/** The server's requested delay, honoured only in (0, 60 s] as the Stainless clients do. */
export function retryAfterMs(headers: ResponseHeaders): number | undefined {
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms > 0 && ms <= RETRY_AFTER_LIMIT_MS) return ms;
  const ra = headers['retry-after'];
  if (ra === undefined) return undefined;
  const v = /^\s*\d+(\.\d+)?\s*$/.test(ra) ? Number.parseFloat(ra) * 1000 : Date.parse(ra) - Date.now();
  return Number.isFinite(v) && v > 0 && v <= RETRY_AFTER_LIMIT_MS ? v : undefined;
}

/** Whether a status is worth another attempt; `x-should-retry` from the server overrides. */
export function isRetryableStatus(status: number, headers: ResponseHeaders): boolean {
  const hint = headers['x-should-retry'];
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  return status === 408 || status === 429 || status >= 500;
}

function normalizeHeaders(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const k in raw) {
    const v = raw[k];
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Human text from any of the error body shapes MinT uses (FastAPI, auth middleware, OpenAI). */
export function detailOf(body: unknown, text: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const d = b.detail;
    if (typeof d === 'string') return d;
    if (Array.isArray(d)) {
      return d
        .map((item) => {
          const it = item as { loc?: unknown; msg?: unknown };
          const loc = Array.isArray(it.loc) ? it.loc.join('.') : '';
          return loc ? `${loc}: ${String(it.msg)}` : String(it.msg ?? JSON.stringify(item));
        })
        .join('; ');
    }
    const e = b.error;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
    if (typeof b.message === 'string') return b.message;
  }
  const t = text.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

const STATUS_ADVICE: Record<number, string> = {
  400: 'the request was rejected as invalid; check its parameters',
  401: 'check your MinT API key',
  403: 'this API key is not allowed to do this; check its permissions',
  404: 'check the id or path, and that the base URL points at a MinT server',
  408: 'the server timed out; try again',
  409: 'it conflicts with existing state (e.g. the name is already taken); use another name or reload',
  413: 'the request is too large; send fewer or shorter examples',
  422: 'a field is missing or has the wrong type; check the request',
  429: 'the server is rate-limiting; wait a moment before trying again',
};

function adviceFor(status: number): string {
  return STATUS_ADVICE[status] ?? (status >= 500 ? 'the server failed; try again later and quote the request id to support' : 'unexpected status');
}

export class Transport {
  readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly fixedHeaders: Record<string, string>;
  /** The base URL's path ("/train/"), so logged paths show the prefix actually requested. */
  private readonly basePath: string;
  private closed = false;
  /** Aborted by close(): every attempt listens to it, so close() ends held long-polls at once. */
  private readonly closing = new AbortController();

  constructor(private readonly cfg: TransportConfig) {
    this.ownsDispatcher = !cfg.dispatcher;
    this.dispatcher =
      cfg.dispatcher ??
      new Agent({ connect: { timeout: cfg.connectTimeoutMs }, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 300_000 });
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
      const err = new APITimeoutError(`${spec.method} ${logPath} was not attempted: the caller's deadline had already passed. Raise timeoutMs or try again.`);
      this.emit({ method: spec.method, path: logPath, durationMs: 0, attempt, error: err.message });
      throw err;
    }

    const signal = ctx.signal;
    // undici's own headers/body timers cost nothing extra per request but tick every ~0.5 s, so
    // they bound the default 60 s attempt. A caller's signal, a deadline or a short timeout needs
    // its own AbortController (and a precise timer), paid for only then.
    let own: { ac: AbortController; timer: NodeJS.Timeout | undefined; onAbort: () => void } | undefined;
    let timedOut = false;
    const precise = ctx.deadline !== undefined || timeoutMs < PRECISE_TIMEOUT_BELOW_MS;
    if (signal || precise) {
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.closing.signal.addEventListener('abort', onAbort, { once: true });
      const timer = precise
        ? setTimeout(() => {
            timedOut = true;
            ac.abort();
          }, timeoutMs)
        : undefined;
      own = { ac, timer, onAbort };
    }
    try {
      const res = await request(url, {
        method: spec.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: own ? own.ac.signal : this.closing.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await res.body.text();
      const durationMs = performance.now() - started;
      const rh = normalizeHeaders(res.headers);
      if (this.cfg.onRequest) {
        const ev: RequestEvent = { method: spec.method, path: logPath, status: res.statusCode, durationMs, attempt };
        const rid = traceIdOf(rh);
        if (rid) ev.request_id = this.redact(rid);
        this.emit(ev);
      }
      return { status: res.statusCode, headers: rh, text, durationMs };
    } catch (err) {
      const durationMs = performance.now() - started;
      let out: Error;
      if (this.closed) out = new CancelledError(`${spec.method} ${logPath} was stopped: the MinT client was closed.`);
      else if (signal?.aborted) out = new CancelledError(`${spec.method} ${logPath} was cancelled.`, { cause: signal.reason });
      else if (timedOut || isUndiciTimeout(err)) {
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
      this.emit({ method: spec.method, path: logPath, durationMs, attempt, error: out.message });
      throw out;
    } finally {
      if (own) {
        clearTimeout(own.timer);
        signal?.removeEventListener('abort', own.onAbort);
        this.closing.signal.removeEventListener('abort', own.onAbort);
      }
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
    const request_id = requestIdOf(raw.status, headers, text);
    const msg =
      `MinT answered ${raw.status} to ${spec.method} /${spec.path}` +
      (detail ? `: ${detail}` : '') +
      ` (${adviceFor(raw.status)})` +
      (request_id ? ` [request id ${request_id}]` : '');
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
      { status: raw.status, headers, body: parseMaybeJson(text), request_id: requestIdOf(raw.status, headers, text), cause },
    );
  }

  /**
   * A logical call: attempts with backoff on connection errors, timeouts, 408, 429 and 5xx
   * (or as `x-should-retry` says), one idempotency key for all of them, then zod validation.
   */
  async request<S extends z.ZodType>(
    spec: RequestSpec & { schema: S; maxRetries?: number | undefined; okStatuses?: readonly number[] },
    ctx: CallContext,
  ): Promise<{ data: z.infer<S>; raw: RawResponse }> {
    const raw = await this.requestRaw(spec, ctx);
    return { data: this.parse(spec, raw, spec.schema), raw };
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
      try {
        const raw = await this.send(spec, ctx, attempt, idem);
        if ((raw.status >= 200 && raw.status < 300) || spec.okStatuses?.includes(raw.status)) return raw;
        failure = this.statusError(spec, raw);
        if (!isRetryableStatus(raw.status, raw.headers) || attempt >= maxRetries) throw failure;
        delay = retryAfterMs(raw.headers);
      } catch (err) {
        if (err instanceof APIStatusError || err instanceof CancelledError) throw err;
        if (!(err instanceof APIConnectionError) || attempt >= maxRetries) throw err;
        // A timeout caused by the caller's own deadline cannot succeed on a retry.
        if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw err;
        failure = err;
      }
      const wait = delay ?? backoffMs(attempt);
      if (ctx.deadline !== undefined && Date.now() + wait >= ctx.deadline) throw failure;
      await this.wait(wait, ctx);
    }
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) out[k.toLowerCase()] = h[k]!;
  return out;
}

function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function traceIdOf(h: ResponseHeaders): string | undefined {
  return h['x-trace-id'] ?? h['x-request-id'];
}

export function requestIdOf(status: number, h: ResponseHeaders, text: string): string | undefined {
  const fromHeader = traceIdOf(h);
  if (fromHeader) return fromHeader;
  if (status >= 500) return /Log ID:\s*([A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*)/.exec(text)?.[1];
  return undefined;
}

function isUndiciTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}
