/**
 * When the configured server does not answer, Check Connection asks MinT's other known servers
 * whether they do, so a user whose region or endpoint changed sees which address works now
 * (MinT's endpoints have moved more than once). No `vscode` here: the logic is tested in plain
 * Node against real loopback servers.
 *
 * Only the unauthenticated health route is asked, and without the key: the user's key goes to
 * the server they chose and nowhere else.
 */
export interface ProbeTarget {
  label: string;
  url: string;
}

export interface ProbeResult extends ProbeTarget {
  ok: boolean;
  /** How long the answer took, or how long we waited before giving up. */
  ms: number;
  /** Why it did not answer, in a few words; undefined when it answered. */
  problem?: string | undefined;
}

/** The small part of ServiceClient a probe needs. */
export interface ProbeClient {
  healthCheck(opts: { signal: AbortSignal; timeoutMs: number }): Promise<{ ok: boolean; status: string }>;
  close(): Promise<void>;
}

/**
 * A probe's client options: no key, and none taken from the environment either (the client would
 * fall back to MINT_API_KEY for an empty key), one attempt, no heartbeat.
 */
export function probeClientOptions(url: string, timeoutMs: number, userAgent?: string) {
  return {
    baseUrl: url,
    apiKey: '',
    env: {},
    timeoutMs,
    connectTimeoutMs: timeoutMs,
    maxRetries: 0,
    heartbeatIntervalMs: 0,
    ...(userAgent ? { userAgent } : {}),
  };
}

/** Asks every target at once; never throws, and settles within about `timeoutMs`. */
export async function probeServers(
  targets: readonly ProbeTarget[],
  makeClient: (url: string) => Promise<ProbeClient>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult[]> {
  return Promise.all(
    targets.map(async (t): Promise<ProbeResult> => {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let client: ProbeClient | undefined;
      try {
        client = await makeClient(t.url);
        const health = await client.healthCheck({ signal: signal ?? new AbortController().signal, timeoutMs });
        return health.ok ? { ...t, ok: true, ms: elapsed() } : { ...t, ok: false, ms: elapsed(), problem: `health "${health.status}"` };
      } catch (err) {
        return { ...t, ok: false, ms: elapsed(), problem: shortReason(err) };
      } finally {
        await client?.close().catch(() => undefined);
      }
    }),
  );
}

/** One sentence for a notification: who answers first, then who does not. */
export function describeProbes(results: readonly ProbeResult[]): string {
  const up = results.filter((r) => r.ok);
  const down = results.filter((r) => !r.ok);
  const name = (r: ProbeResult) => `${r.label} (${r.url})`;
  if (up.length === 0) {
    return `None of MinT's other servers answered either (${down.map((r) => `${r.label}: ${r.problem ?? 'no answer'}`).join('; ')}), so the network itself may be down or behind a proxy (http.proxy).`;
  }
  const answered = up.map((r) => `${name(r)} in ${r.ms} ms`).join(', ');
  const silent = down.length ? ` Not answering: ${down.map((r) => r.label).join(', ')}.` : '';
  return `${up.length === 1 ? 'This MinT server answers' : 'These MinT servers answer'}: ${answered}.${silent} Select Server to switch.`;
}

/** Network codes in words, the code kept for searching. */
const CODE_WORDS: Record<string, string> = {
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'name lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'no answer in time',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
};

function shortReason(err: unknown): string {
  const e = err as { name?: unknown; status?: unknown; cause?: { code?: unknown; cause?: { code?: unknown } } } | null;
  const code = e?.cause?.cause?.code ?? e?.cause?.code;
  if (typeof code === 'string') {
    const words = CODE_WORDS[code] ?? (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) ? 'certificate not trusted' : undefined);
    return words ? `${words} (${code})` : code;
  }
  if (typeof e?.status === 'number') return `HTTP ${e.status}`;
  if (e?.name === 'APITimeoutError') return 'no answer in time';
  return typeof e?.name === 'string' ? e.name : 'no answer';
}
