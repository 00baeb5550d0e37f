import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { EmulatorConfig } from './core';
import { HttpError } from './http';
import { isSignedDownload } from './routes/archive';

/**
 * Who may call what. MinT's server leaves the API key to the platform gateway in front of it; the
 * emulator plays that gateway when a key is configured (401 `{"error"}`, the gateway's shape), and
 * plays MinT's own 403 for read-only principals, which only a read-only key can reach here.
 */

/** Paths MinT serves without any credentials. */
const OPEN_PATHS = new Set(['/', '/api/v1/healthz']);

/**
 * The routes MinT guards with its write-access check (403 "Write access required"). `/forward`,
 * sampling and every listing are readable; deleting a checkpoint or a model is a write.
 */
const WRITE_ROUTES: readonly [string, RegExp][] = [
  [
    'POST',
    /^\/api\/v1\/(create_model|create_model_from_state|forward_backward|train_step|optim_step|reset_expert_bias|save_weights|save_state|save_weights_for_sampler|load_weights|load_state|checkpoints\/upload)$/,
  ],
  ['DELETE', /^\/api\/v1\/models\/[^/]+$/],
  ['DELETE', /^\/api\/v1\/training_runs\/[^/]+\/checkpoints\/.+$/],
];

export function isWriteRoute(method: string, path: string): boolean {
  return WRITE_ROUTES.some(([m, re]) => m === method && re.test(path));
}

/** Constant-time key check, so response timing says nothing about the configured key. */
function keyMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers['authorization'];
  return h && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '') : undefined;
}

export type Access = 'write' | 'read';

/**
 * Checks the caller's key and says what it may do. Throws 401 for a missing or wrong key when
 * the emulator has one. No key prefix is required: MinT issues both `sk-` and `tml-` keys.
 */
export function authorize(req: IncomingMessage, path: string, query: URLSearchParams, config: EmulatorConfig): Access {
  const { apiKey, readOnlyKey } = config;
  if (OPEN_PATHS.has(path)) return 'write';
  // MinT's server does not guard /oai; whether its gateway does is unknown, hence the flag.
  const isOai = path.startsWith('/oai/');
  if (isOai && !config.oaiRequiresKey) return 'read';
  // A checkpoint download link carries its own token, as MinT's signed URLs do.
  if (isSignedDownload(path, query)) return 'read';
  const header = req.headers['x-api-key'];
  const given = (Array.isArray(header) ? header[0] : header) || (isOai ? bearer(req) : undefined) || undefined;
  if (readOnlyKey && given !== undefined && keyMatches(given, readOnlyKey)) return 'read';
  if (!apiKey) return 'write';
  if (given === undefined) {
    throw new HttpError(401, { error: 'Missing API key: send your MinT API key in the X-API-Key header.' });
  }
  if (!keyMatches(given, apiKey)) {
    throw new HttpError(401, {
      error: "Invalid API key: the X-API-Key header does not match this server's key. Check the key you configured.",
    });
  }
  return 'write';
}

/** MinT's answer to a read-only principal on a write route. */
export function requireWrite(access: Access, method: string, path: string): void {
  if (access === 'read' && isWriteRoute(method, path)) throw new HttpError(403, { detail: 'Write access required' });
}
