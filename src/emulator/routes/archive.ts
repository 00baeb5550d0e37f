import { randomBytes } from 'node:crypto';
import { checkpointArchive } from '../archive';
import { HttpError, detail, type Reply } from '../http';
import { isTinkerSdkUserAgent } from '../paths';
import type { Ctx, Router } from '../router';

/** Download links carry a short-lived token, as MinT's signed URLs do; no API key needed. */
const downloadTokens = new Map<string, { runId: string; checkpointId: string; expires: number }>();
const DOWNLOAD_TTL_MS = 15 * 60 * 1000;

const ARCHIVE = /^\/api\/v1\/training_runs\/([^/]+)\/checkpoints\/((?:weights|sampler_weights)\/[^/]+)\/archive$/;

/** FastAPI's reading of `direct: bool`. */
const isDirect = (query: URLSearchParams) => /^(1|true|yes|on|t|y)$/i.test(query.get('direct') ?? '');

/** What MinT's middleware lets through on a download token alone (and answers 401 when bad). */
export function isSignedDownload(path: string, query: URLSearchParams): boolean {
  return ARCHIVE.test(path) && !!query.get('direct') && !!query.get('download_token');
}

function signedLink(ctx: Ctx, runId: string, checkpointId: string): { location: string; expires: number } {
  const token = randomBytes(16).toString('hex');
  const expires = Date.now() + DOWNLOAD_TTL_MS;
  downloadTokens.set(token, { runId, checkpointId, expires });
  setTimeout(() => downloadTokens.delete(token), DOWNLOAD_TTL_MS).unref();
  const host = ctx.headers.host ?? '127.0.0.1';
  return {
    location: `http://${host}${ctx.basePath}/api/v1/training_runs/${encodeURIComponent(runId)}/checkpoints/${checkpointId}/archive?direct=1&download_token=${token}`,
    expires,
  };
}

/**
 * MinT answers the Tinker SDK (which never follows redirects, and reads Location as a signed
 * URL) with a 302; everyone else, and the signed link itself, gets the .tar.gz bytes.
 */
export function registerArchive(r: Router): void {
  r.add('GET', ARCHIVE, (ctx): Reply => {
    const [runId, cid] = [ctx.params[0]!, ctx.params[1]!];
    if (isSignedDownload(ctx.path, ctx.query)) {
      const grant = downloadTokens.get(ctx.query.get('download_token')!);
      if (!grant || grant.expires < Date.now() || grant.runId !== runId || grant.checkpointId !== cid) {
        throw new HttpError(401, { error: 'Invalid download token' });
      }
    }
    const run = ctx.core.world.runs.get(runId);
    const cp = run?.checkpoints.get(cid);
    if (!run || !cp) throw detail(404, `Checkpoint '${cid}' not found`);
    if (!isDirect(ctx.query) && isTinkerSdkUserAgent(ctx.headers['user-agent'])) {
      const { location, expires } = signedLink(ctx, run.id, cid);
      return { status: 302, headers: { Location: location, Expires: new Date(expires).toUTCString() } };
    }
    return {
      status: 200,
      headers: {
        'Content-Type': 'application/gzip',
        'Content-Disposition': `attachment; filename="${run.id}_${cid.replace('/', '_')}.tar.gz"`,
      },
      bytes: checkpointArchive(run, cp),
    };
  });
}
