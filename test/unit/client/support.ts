/**
 * Test support for the client suites: a real emulator on 127.0.0.1 with its fault-injection
 * control interface, driven over real HTTP. Nothing here fakes the transport.
 */
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEmulator } from '../../../src/emulator/index';
import type { LoggedRequest } from '../../../src/emulator/requestLog';
import { ServiceClient, type RequestEvent, type ServiceClientOptions } from '../../../src/mint/index';

export const API_KEY = 'sk-mint-test-SECRET-0123456789abcdef';
export const BASE_MODEL = 'Qwen/Qwen3-0.6B';

// The control interface's shape is the emulator's; tests read it, they do not redefine it.
export type { LoggedRequest };

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export class TestServer {
  private constructor(readonly emu: Emulator) {}

  static async start(opts: Parameters<typeof startEmulator>[0] = {}): Promise<TestServer> {
    const emu = await startEmulator({ host: '127.0.0.1', port: 0, faults: true, log: () => undefined, ...opts });
    return new TestServer(emu);
  }

  get url(): string {
    return this.emu.url;
  }

  private async control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await request(`${this.emu.url}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    assert.ok(res.statusCode < 300, `control ${method} ${path} failed: ${res.statusCode} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async fault(rule: Record<string, unknown>): Promise<string> {
    return ((await this.control('POST', 'faults', rule)) as { id: string }).id;
  }

  async clearFaults(): Promise<void> {
    await this.control('DELETE', 'faults');
  }

  async requests(limit = 1000): Promise<LoggedRequest[]> {
    return (await this.control('GET', `requests?limit=${limit}`)) as LoggedRequest[];
  }

  /** Logged requests whose path ends with `suffix` (so a /train prefix does not matter). */
  async requestsTo(suffix: string): Promise<LoggedRequest[]> {
    return (await this.requests()).filter((r) => r.path.endsWith(suffix));
  }

  async clearRequests(): Promise<void> {
    await this.control('DELETE', 'requests');
  }

  async config(c: { latencyMs?: number; longPollMs?: number; apiKey?: string | null }): Promise<void> {
    await this.control('POST', 'config', c);
  }

  async reset(): Promise<void> {
    await this.control('POST', 'reset');
  }

  async close(): Promise<void> {
    await this.emu.close();
  }
}

/** A client on the test server, with every RequestEvent recorded for leak checks. */
export function clientFor(
  server: { url: string },
  opts: ServiceClientOptions = {},
): { client: ServiceClient; events: RequestEvent[] } {
  const events: RequestEvent[] = [];
  const client = new ServiceClient({
    baseUrl: server.url,
    apiKey: API_KEY,
    maxRetries: 2,
    timeoutMs: 10_000,
    heartbeatIntervalMs: 0,
    env: {},
    onRequest: (e) => events.push(e),
    ...opts,
  });
  return { client, events };
}

/** Runs `fn` and returns what it threw; fails the test if it did not throw. */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to throw');
}

/** Asserts that the key appears nowhere in what an error exposes. */
export function assertNoKey(value: unknown, what = 'value'): void {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      assert.ok(!v.includes(API_KEY), `${what} leaks the API key at ${path}`);
      return;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Error) {
      walk(v.message, `${path}.message`);
      walk(v.stack, `${path}.stack`);
    }
    for (const k of Object.getOwnPropertyNames(v)) {
      walk((v as Record<string, unknown>)[k], `${path}.${k}`);
    }
  };
  walk(value, what);
  assert.ok(!JSON.stringify(value, Object.getOwnPropertyNames(value ?? {})).includes(API_KEY), `${what} serialises the key`);
}

export const prompt = (tokens: number[]) => ({ chunks: [{ type: 'encoded_text' as const, tokens }] });
