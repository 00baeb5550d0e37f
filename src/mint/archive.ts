/**
 * Checkpoint archive downloads in every form a server uses. MinT sends the .tar.gz itself (200,
 * application/gzip) to any client that is not the Tinker SDK; the SDK, older servers and the
 * emulator's SDK path give a signed link instead (a 302 Location, or a 200 `{url, expires}`).
 * The signed link is fetched without the API key: it carries its own token, and it may point at
 * another host that must never see the key.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { APIConnectionError, CancelledError, makeStatusError, type ResponseHeaders } from './errors';
import { ArchiveUrlBodySchema } from './schemas';
import type { CallContext, RequestSpec, Transport } from './transport';

export const REDIRECTS = [301, 302, 303, 307, 308] as const;

export interface ArchiveUrl {
  url: string;
  /** When the signed URL stops working, if the server said. */
  expires?: string;
}

export interface ArchiveDownload {
  /** Where the archive was written. */
  file: string;
  bytes: number;
  /** True for a gzip-compressed tar (MinT), false for a plain tar (older emulators). */
  gzip: boolean;
  /** "stream": the server sent the bytes; "link": it sent a signed link that was then fetched. */
  via: 'stream' | 'link';
}

const isJson = (h: ResponseHeaders) => /\bjson\b/i.test(h['content-type'] ?? '');

/** What the archive route answered: the bytes themselves, or where to get them. */
export async function openArchive(
  transport: Transport,
  spec: Pick<RequestSpec, 'path'>,
  ctx: CallContext,
): Promise<{ stream: Readable } | ArchiveUrl> {
  const full = { method: 'GET' as const, path: spec.path };
  const raw = await transport.requestRaw(
    { ...full, okStatuses: REDIRECTS, streamIf: (status, h) => status >= 200 && status < 300 && !isJson(h) },
    ctx,
  );
  if (raw.stream) return { stream: raw.stream };
  if (raw.status >= 300) {
    const location = raw.headers.location;
    if (!location) throw transport.validationError(full, raw, 'a redirect without a Location header');
    const out: ArchiveUrl = { url: new URL(location, transport.url(full.path)).href };
    if (raw.headers.expires) out.expires = raw.headers.expires;
    return out;
  }
  const body = transport.parse(full, raw, ArchiveUrlBodySchema);
  return body.expires ? { url: body.url, expires: body.expires } : { url: body.url };
}

/** Fetches a signed link (no API key) and returns its body. */
async function openLink(transport: Transport, url: string, ctx: CallContext): Promise<Readable> {
  let res;
  try {
    res = await request(url, { method: 'GET', dispatcher: transport.dispatcher, signal: ctx.signal });
  } catch (err) {
    if (ctx.signal?.aborted) throw new CancelledError(undefined, { cause: ctx.signal.reason });
    throw new APIConnectionError(
      `Could not download the checkpoint archive from its signed link: ${transport.redact(String((err as Error).message))}.`,
      { cause: err },
    );
  }
  if (res.statusCode !== 200) {
    const text = transport.redact(await res.body.text().catch(() => ''));
    throw makeStatusError(
      res.statusCode,
      `The checkpoint archive's signed link answered ${res.statusCode}: the link may have expired; ask for the archive again.`,
      { headers: {}, body: text || undefined },
    );
  }
  return res.body;
}

/** Writes the archive to `file` (via a temporary file, so a failed download leaves nothing half-written). */
export async function downloadArchive(
  transport: Transport,
  spec: Pick<RequestSpec, 'path'>,
  file: string,
  ctx: CallContext,
): Promise<ArchiveDownload> {
  const opened = await openArchive(transport, spec, ctx);
  const via = 'stream' in opened ? 'stream' : 'link';
  const source = 'stream' in opened ? opened.stream : await openLink(transport, opened.url, ctx);
  let bytes = 0;
  let head: Buffer | undefined;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!head) head = chunk.subarray(0, 2);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const tmp = `${file}.part`;
  try {
    await pipeline(source, count, createWriteStream(tmp), ctx.signal ? { signal: ctx.signal } : {});
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    if (ctx.signal?.aborted) throw new CancelledError('The checkpoint archive download was cancelled.', { cause: err });
    throw err;
  }
  return { file, bytes, gzip: head !== undefined && head[0] === 0x1f && head[1] === 0x8b, via };
}
