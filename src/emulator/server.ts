import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorCore } from './core';
import type { FaultRule, FutureFault } from './faults';
import { authorize, requireWrite } from './auth';
import { HttpError, jsonDecodeError, readBody, serialise, type Reply } from './http';
import { rewriteTinkerUris, schemeFor } from './paths';
import { MAX_LOGGED_BODY_CHARS, redactHeaders, type LogEntry } from './requestLog';
import type { Ctx, Router } from './router';

const CONTROL_PREFIX = '/_emulator/';

/** Trace ids: 32 hex like MinT's, a random per-process prefix and a counter, so no crypto call per reply. */
const TRACE_PREFIX = randomBytes(12).toString('hex');
let traceCounter = 0;
function nextTraceId(): string {
  traceCounter = (traceCounter + 1) >>> 0;
  return TRACE_PREFIX + traceCounter.toString(16).padStart(8, '0');
}

/** MinT's normal form of a trace id: 32 lowercase hex, dashes dropped, not all zeros. */
function normaliseTraceId(raw: string | string[] | undefined): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const id = raw.trim().toLowerCase().replace(/-/g, '');
  return /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
}

/** MinT keeps the caller's trace: a W3C traceparent's trace id first, then X-Trace-Id, else a new one. */
function traceIdFor(req: IncomingMessage): string {
  const tp = req.headers['traceparent'];
  const parts = typeof tp === 'string' ? tp.trim().split('-') : [];
  return (parts.length === 4 ? normaliseTraceId(parts[1]) : undefined) ?? normaliseTraceId(req.headers['x-trace-id']) ?? nextTraceId();
}

const SERVER_PID = String(process.pid);

function isLoopback(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The HTTP plumbing around the routes: prefix, auth, faults, request log, trace ids. */
export class HttpFront {
  readonly server: Server;

  constructor(
    private readonly core: EmulatorCore,
    private readonly api: Router,
    private readonly control: Router,
    private readonly prefix: string,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.core.log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent) this.write(res, { status: 500, body: { detail: 'Internal Server Error' } }, undefined);
        else res.destroy();
      });
    });
    // Long-polls hold a request open for up to the long-poll window; keep-alive should outlast it.
    this.server.keepAliveTimeout = 30_000;
    this.server.headersTimeout = 35_000;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          reject(
            new Error(
              `Port ${port} on ${host} is already in use (EADDRINUSE): stop whatever holds it (another emulator?) or choose another port; --port 0 picks a free one.`,
              { cause: err },
            ),
          );
        else if (err.code === 'EADDRNOTAVAIL')
          reject(new Error(`Cannot bind to ${host} (EADDRNOTAVAIL): it is not an address of this machine; use 127.0.0.1.`, { cause: err }));
        else reject(err);
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    // Split by hand: a WHATWG URL per request was a visible share of the per-request cost.
    let target = req.url ?? '/';
    // Absolute-form targets come from clients that treat us as a proxy; keep only the path.
    if (!target.startsWith('/')) target = target.replace(/^[a-z]+:\/\/[^/?]*/i, '') || '/';
    const q = target.indexOf('?');
    const query = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
    const method = (req.method ?? 'GET').toUpperCase();
    let path = q >= 0 ? target.slice(0, q) : target;

    if (path.startsWith(CONTROL_PREFIX) || (this.prefix && path.startsWith(this.prefix + CONTROL_PREFIX))) {
      return this.handleControl(req, res, method, path.startsWith(CONTROL_PREFIX) ? path : path.slice(this.prefix.length), query);
    }
    if (this.prefix) {
      if (path !== this.prefix && !path.startsWith(this.prefix + '/')) {
        await readBody(req).catch(() => undefined);
        return this.write(
          res,
          {
            status: 404,
            body: { detail: `Not Found: this server serves its API under ${this.prefix} (keep the path prefix of the base URL)` },
          },
          undefined,
        );
      }
      path = path.slice(this.prefix.length) || '/';
    }

    // Only the control interface reads the request log, so without --faults nothing is kept.
    const entry: LogEntry = {
      method,
      path,
      query: this.core.faultsEnabled ? Object.fromEntries(query) : {},
      headers: this.core.faultsEnabled ? redactHeaders(req.headers) : {},
      rawBody: null,
      status: null,
      time: this.core.faultsEnabled ? new Date(started).toISOString() : '',
    };
    if (this.core.faultsEnabled) this.core.requestLog.push(entry);

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof HttpError) return this.finish(res, entry, errorReply(err), undefined, started);
      return; // the client went away mid-upload: nobody to answer
    }
    let parsed: unknown;
    let parseError: HttpError | undefined;
    if (raw.length > 0) {
      const text = raw.toString('utf8');
      entry.rawBody = text.length > MAX_LOGGED_BODY_CHARS ? JSON.stringify(`[body of ${text.length} characters not logged]`) : text;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        parseError = jsonDecodeError(err as Error);
      }
    }

    const rule = this.core.faultsEnabled ? this.core.faults.take(method, path) : undefined;
    if (rule?.delayMs) await sleep(rule.delayMs);
    if (rule?.drop === 'before-headers') {
      entry.status = null;
      req.socket.destroy();
      return;
    }
    if (rule && (rule.status !== undefined || rule.body !== undefined || rule.bodyText !== undefined)) {
      return this.finish(res, entry, faultReply(rule), rule, started);
    }

    let reply: Reply;
    try {
      const access = authorize(req, path, query, this.core.config);
      if (parseError) throw parseError;
      const ctx: Ctx = {
        method,
        path,
        query,
        headers: req.headers,
        body: parsed === undefined ? undefined : rewriteTinkerUris(parsed),
        params: [],
        scheme: schemeFor(req.headers['user-agent']),
        futureFault: rule && futureFaultOf(rule),
        onClose: (cb) => res.once('close', cb),
        core: this.core,
        basePath: this.prefix,
      };
      const { handler, params } = this.api.match(method, path);
      requireWrite(access, method, path);
      ctx.params = params;
      reply = await handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = errorReply(err);
    }
    if (res.destroyed) return;
    this.finish(res, entry, reply, rule, started);
  }

  private async handleControl(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const raw = await readBody(req).catch(() => Buffer.alloc(0));
    if (!this.core.faultsEnabled)
      return this.write(
        res,
        { status: 404, body: { detail: 'Not Found: the control interface is off; start the emulator with --faults' } },
        undefined,
      );
    if (!isLoopback(req.socket.remoteAddress))
      return this.write(res, { status: 403, body: { detail: 'The control interface answers loopback clients only.' } }, undefined);
    let reply: Reply;
    try {
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          throw jsonDecodeError(err as Error);
        }
      }
      const { handler, params } = this.control.match(method, path);
      reply = await handler({
        method,
        path,
        query,
        headers: req.headers,
        body,
        params,
        scheme: 'mint',
        futureFault: undefined,
        onClose: (cb) => res.once('close', cb),
        core: this.core,
        basePath: this.prefix,
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = errorReply(err);
    }
    this.write(res, reply, undefined);
  }

  private finish(res: ServerResponse, entry: LogEntry, reply: Reply, rule: FaultRule | undefined, started: number): void {
    entry.status = reply.status;
    if (rule?.headers) reply = { ...reply, headers: { ...reply.headers, ...rule.headers } };
    this.write(res, reply, rule);
    if (this.core.logRequests)
      this.core.log(
        `${entry.method} ${entry.path} ${rule?.drop === 'mid-body' ? 'dropped mid-body' : reply.status} ${Date.now() - started} ms`,
      );
  }

  private write(res: ServerResponse, reply: Reply, rule: FaultRule | undefined): void {
    // The client may have gone while a fault delayed us or a long-poll held the reply.
    if (res.destroyed || res.writableEnded) return;
    if (rule?.drop === 'after-handling') {
      // The work is done; the reply is lost, as when a gateway or the network drops it.
      res.socket?.destroy();
      return;
    }
    const { payload, length, contentType } = serialise(reply);
    const headers: Record<string, string> = {
      'Content-Type': rule?.contentType ?? contentType,
      'Content-Length': String(length),
      'X-Trace-Id': traceIdFor(res.req),
      'X-MinT-Server-Pid': SERVER_PID,
      ...reply.headers,
    };
    if (rule?.drop === 'mid-body') {
      // Promise the whole body, send half, then cut the connection: the client sees a truncated reply.
      res.writeHead(reply.status, headers);
      const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
      res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }
}

/** The part of a rule that a future-creating handler applies to the future it makes. */
function futureFaultOf(rule: FaultRule): FutureFault | undefined {
  if (!rule.futureError && rule.futurePendingPolls === undefined) return undefined;
  const f: FutureFault = {};
  if (rule.futureError) f.error = rule.futureError;
  if (rule.futurePendingPolls !== undefined) f.pendingPolls = rule.futurePendingPolls;
  return f;
}

function errorReply(err: HttpError): Reply {
  return { status: err.status, body: err.body, headers: err.headers };
}

function faultReply(rule: FaultRule): Reply {
  const status = rule.status ?? 200;
  if (rule.bodyText !== undefined) return { status, raw: rule.bodyText };
  if (rule.body !== undefined) return { status, body: rule.body };
  return { status, body: { detail: `Injected fault: HTTP ${status} on ${rule.route}` } };
}
