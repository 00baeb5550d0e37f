/** The ring of recent requests the control interface hands to tests (docs/contracts.md §2). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number | null;
  time: string;
}

/**
 * What the server keeps per request: the body as the client sent it (before any tinker://
 * rewrite), parsed only when a test asks for the log.
 */
export interface LogEntry extends Omit<LoggedRequest, 'body'> {
  rawBody: string | null;
}

/** Larger bodies are logged as a note, so a run of big training batches cannot fill memory. */
export const MAX_LOGGED_BODY_CHARS = 256 * 1024;

function render(e: LogEntry): LoggedRequest {
  const { rawBody, ...rest } = e;
  let body: unknown = null;
  if (rawBody !== null) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
  }
  return { ...rest, body };
}

export const REQUEST_LOG_CAPACITY = 1000;

/** Headers whose values are credentials: kept out of the log so no test output can leak them. */
const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? '[redacted]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** A ring buffer: logging a request must cost the same at entry 10 and at entry 10 million. */
export class RequestLog {
  private ring: (LogEntry | undefined)[] = new Array(REQUEST_LOG_CAPACITY);
  private next = 0;
  private count = 0;

  push(entry: LogEntry): LogEntry {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % REQUEST_LOG_CAPACITY;
    if (this.count < REQUEST_LOG_CAPACITY) this.count++;
    return entry;
  }

  last(limit: number): LoggedRequest[] {
    const n = Math.min(limit, this.count);
    const out: LoggedRequest[] = [];
    for (let i = n; i > 0; i--) out.push(render(this.ring[(this.next - i + REQUEST_LOG_CAPACITY) % REQUEST_LOG_CAPACITY]!));
    return out;
  }

  clear(): void {
    this.ring = new Array(REQUEST_LOG_CAPACITY);
    this.next = 0;
    this.count = 0;
  }
}
