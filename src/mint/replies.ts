/** Reading MinT's replies and failures into words: error details, advice, request ids. */
import type { ResponseHeaders } from './errors';

export function normalizeHeaders(raw: Record<string, string | string[] | undefined>): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const k in raw) {
    const v = raw[k];
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in h) out[k.toLowerCase()] = h[k]!;
  return out;
}

export function parseMaybeJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
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

export function adviceFor(status: number): string {
  return (
    STATUS_ADVICE[status] ??
    (status >= 500 ? 'the server failed; try again later and quote the request id to support' : 'unexpected status')
  );
}

export function traceIdOf(h: ResponseHeaders): string | undefined {
  // An empty header is no id: fall through to the next one.
  return h['x-trace-id'] || h['x-request-id'] || undefined;
}

/** A 5xx body's "Log ID: <id>": the id MinT support looks failures up by. */
export function logIdOf(status: number, text: string): string | undefined {
  return status >= 500 ? /Log ID:\s*([A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*)/.exec(text)?.[1] : undefined;
}

/**
 * The request id a reply carries: a 5xx body's "Log ID" first (the id support asks for; a gateway's
 * generic x-request-id would send them looking in the wrong place), then X-Trace-Id / x-request-id.
 */
export function requestIdFromReply(status: number, h: ResponseHeaders, text: string): string | undefined {
  return logIdOf(status, text) ?? traceIdOf(h);
}

export function isUndiciTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

export function describeNetworkError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  const code = e?.cause?.code ?? e?.code;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}
