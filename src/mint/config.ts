/**
 * Where the client connects and with which key. Explicit options win, then the MinT variables,
 * then Tinker's, because the MinT quickstart tells users to set MINT_* while older Tinker-based
 * scripts still export TINKER_*; both should just work.
 */
import { version as packageVersion } from '../../package.json';

export const DEFAULT_BASE_URL = 'https://mint.macaron.im/train';
export const CLIENT_VERSION: string = packageVersion;
export const DEFAULT_USER_AGENT = `MinT-VSCode/${CLIENT_VERSION} (Node ${process.version})`;

export interface ResolvedConfig {
  baseUrl: string;
  apiKey: string | undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

export function resolveConfig(
  explicit: { baseUrl?: string | undefined; apiKey?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConfig {
  const baseUrl = nonEmpty(explicit.baseUrl) ?? nonEmpty(env.MINT_BASE_URL) ?? nonEmpty(env.TINKER_BASE_URL) ?? DEFAULT_BASE_URL;
  const apiKey = nonEmpty(explicit.apiKey) ?? nonEmpty(env.MINT_API_KEY) ?? nonEmpty(env.TINKER_API_KEY);
  return { baseUrl: normalizeBaseUrl(baseUrl), apiKey };
}

/**
 * A trailing slash makes relative resolution keep the path prefix (`/train`), exactly as the
 * Tinker SDK does; without it `new URL('api/v1/x', 'https://h/train')` would drop `/train`.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`MinT base URL "${raw}" is not a valid URL; use e.g. ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`MinT base URL "${raw}" must start with http:// or https://`);
  }
  url.search = '';
  url.hash = '';
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
