/**
 * Checkpoint paths: `mint://<run>/<weights|sampler_weights>/<name>`. MinT answers in `tinker://`
 * only to the Tinker Python SDK (it keys on the User-Agent), and accepts either on input.
 */
export type CheckpointKind = 'weights' | 'sampler_weights';

export interface ParsedPath {
  runId: string;
  kind: CheckpointKind;
  name: string;
  /** `"<kind>/<name>"`, the id the REST routes use. */
  checkpointId: string;
}

const PATH_RE = /^(?:mint|tinker):\/\/([^/]+)\/(weights|sampler_weights)\/(.+)$/;

export function parseCheckpointPath(path: string): ParsedPath | undefined {
  const m = PATH_RE.exec(path);
  if (!m) return undefined;
  const kind = m[2] as CheckpointKind;
  return { runId: m[1]!, kind, name: m[3]!, checkpointId: `${kind}/${m[3]!}` };
}

export type Scheme = 'mint' | 'tinker';

/**
 * MinT's test for the Tinker SDK (`AsyncTinker/Python 0.22.0`, or the old wrapper's
 * `Mint/Python 0.1.0`): the lower-cased UA holds "/python " and its name before the first "/"
 * ends in "tinker" or is "mint". Everything else, browsers and this extension included, is not.
 */
export function isTinkerSdkUserAgent(userAgent: string | undefined): boolean {
  const low = userAgent?.trim().toLowerCase();
  if (!low || !low.includes('/python ')) return false;
  const name = low.slice(0, low.indexOf('/'));
  return name.endsWith('tinker') || name === 'mint';
}

export function schemeFor(userAgent: string | undefined): Scheme {
  return isTinkerSdkUserAgent(userAgent) ? 'tinker' : 'mint';
}

export function formatCheckpointPath(scheme: Scheme, runId: string, checkpointId: string): string {
  return `${scheme}://${runId}/${checkpointId}`;
}

/**
 * MinT rewrites every `tinker://` string in a request body to `mint://` before routing. The walk
 * mutates in place and only ever assigns strings, so a `__proto__` key in a body cannot swap
 * an object's prototype.
 */
export function rewriteTinkerUris(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('tinker://') ? `mint://${value.slice(9)}` : value;
  if (Array.isArray(value)) {
    // Token arrays are the bulk of most bodies: skip them without walking.
    if (value.length > 0 && typeof value[0] === 'number') return value;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'string') value[i] = rewriteTinkerUris(v);
      else rewriteTinkerUris(v);
    }
    return value;
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'string') {
        if (v.startsWith('tinker://'))
          Object.defineProperty(o, k, { value: `mint://${v.slice(9)}`, enumerable: true, writable: true, configurable: true });
      } else rewriteTinkerUris(v);
    }
  }
  return value;
}
