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

export class RequestLog {
  private entries: LoggedRequest[] = [];

  push(entry: LoggedRequest): LoggedRequest {
    this.entries.push(entry);
    if (this.entries.length > REQUEST_LOG_CAPACITY) this.entries.splice(0, this.entries.length - REQUEST_LOG_CAPACITY);
    return entry;
  }

  last(limit: number): LoggedRequest[] {
    return this.entries.slice(Math.max(0, this.entries.length - limit));
  }

  clear(): void {
    this.entries = [];
  }
}
