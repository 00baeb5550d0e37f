/**
 * Test support for the client suites: a real emulator on 127.0.0.1 with its fault-injection
 * control interface, driven over real HTTP. Nothing here fakes the transport.
 */
import assert from 'node:assert/strict';
import { startEmulator } from '../../../src/emulator/index';
import { EmulatorControl, type LoggedRequest } from '../../support/emulatorControl';
import { ServiceClient, type RequestEvent, type ServiceClientOptions } from '../../../src/mint/index';

export const API_KEY = 'sk-mint-test-SECRET-0123456789abcdef';
export const BASE_MODEL = 'Qwen/Qwen3-0.6B';

// The control interface's shape is the emulator's; tests read it, they do not redefine it.
export type { LoggedRequest };

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** An emulator in this process, driven through the shared control client (faults, request log, live settings). */
export class TestServer extends EmulatorControl {
  private constructor(readonly emu: Emulator) {
    super(emu.url);
  }

  static async start(opts: Parameters<typeof startEmulator>[0] = {}): Promise<TestServer> {
    const emu = await startEmulator({ host: '127.0.0.1', port: 0, faults: true, log: () => undefined, ...opts });
    return new TestServer(emu);
  }

  async close(): Promise<void> {
    await this.emu.close();
  }
}

/**
 * The usual life of a client suite: one emulator for the suite, reset (and configured) before each
 * test, a fresh client on it for each test, closed after, and no RequestEvent of it may carry the
 * key. `bind` receives them before each test, so the suite keeps its own variable names.
 */
export function useTestServer(
  bind: (t: { server: TestServer; client: ServiceClient; events: RequestEvent[] }) => void,
  opts: {
    server?: Parameters<typeof TestServer.start>[0];
    client?: ServiceClientOptions;
    config?: Parameters<TestServer['config']>[0];
  } = {},
): void {
  let server: TestServer | undefined;
  let made: ReturnType<typeof clientFor> | undefined;
  before(async () => {
    server = await TestServer.start(opts.server);
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    await server!.reset();
    if (opts.config) await server!.config(opts.config);
    made = clientFor(server!, opts.client);
    bind({ server: server!, ...made });
  });
  afterEach(async () => {
    await made?.client.close();
    for (const e of made?.events ?? []) assertNoKey(e, 'RequestEvent');
  });
}

/** A client on the test server, with every RequestEvent recorded for leak checks. */
export function clientFor(server: { url: string }, opts: ServiceClientOptions = {}): { client: ServiceClient; events: RequestEvent[] } {
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
