import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

/**
 * Handlers return a Reply instead of writing to the socket, so the fault layer can rewrite,
 * delay or cut any answer after the handler has decided it.
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON value to serialise, or a raw string when `raw` is set. */
  body?: unknown;
  raw?: string;
  /** Binary body (downloads); its Content-Type comes from `headers`. */
  bytes?: Buffer;
}

/** Thrown by handlers; the server turns it into a FastAPI-style error reply. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${status}`);
  }
}

export function detail(status: number, message: string, headers?: Record<string, string>): HttpError {
  return new HttpError(status, { detail: message }, headers);
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

/** FastAPI's 422 shape, so clients written against MinT parse our validation errors unchanged. */
export function validationError(error: z.ZodError, where: 'body' | 'query' = 'body'): HttpError {
  const items = error.issues.map((issue) => {
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return {
      loc: [where, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      msg: missing ? 'Field required' : issue.message,
      type: missing ? 'missing' : issue.code,
    };
  });
  return new HttpError(422, { detail: items });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' = 'body'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(detail(413, `Request body larger than ${MAX_BODY_BYTES} bytes; send smaller batches.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Text bodies stay strings: node:http then sends headers and body in one write() instead of a
 * writev() of two buffers, which was the largest single cost per request under load.
 */
export function serialise(reply: Reply): { payload: string | Buffer; length: number; contentType: string } {
  if (reply.bytes !== undefined) return { payload: reply.bytes, length: reply.bytes.length, contentType: 'application/octet-stream' };
  const text = reply.raw !== undefined ? reply.raw : reply.body === undefined ? '' : JSON.stringify(reply.body);
  return { payload: text, length: Buffer.byteLength(text, 'utf8'), contentType: reply.raw !== undefined ? 'text/plain; charset=utf-8' : 'application/json' };
}
