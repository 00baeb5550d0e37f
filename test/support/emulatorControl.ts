/**
 * One typed client for the emulator's test-only control interface (docs/contracts.md §2), used
 * by the unit harnesses in plain Node and by the integration harness inside VS Code's extension
 * host: both have `fetch`. Rule and config shapes are the emulator's own, not restated here.
 */
import type { z } from 'zod';
import type { FaultRuleInput } from '../../src/emulator/faults';
import type { LoggedRequest } from '../../src/emulator/requestLog';
import type { ControlConfigRequest } from '../../src/emulator/schemas';

export type { FaultRuleInput, LoggedRequest };
export type EmulatorConfig = z.input<typeof ControlConfigRequest>;

export class EmulatorControl {
  /** `url` is the emulator's base URL, with its --prefix if any: the control routes live at the origin. */
  constructor(readonly url: string) {}

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${new URL(this.url).origin}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path} failed: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Adds a fault rule; returns its id. */
  async fault(rule: FaultRuleInput): Promise<string> {
    return ((await this.call('POST', 'faults', rule)) as { id: string }).id;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  /** The last `limit` requests the emulator received, oldest first. */
  async requests(limit = 1000): Promise<LoggedRequest[]> {
    return (await this.call('GET', `requests?limit=${limit}`)) as LoggedRequest[];
  }

  /** Logged requests whose path ends with `suffix` (so a /train prefix does not matter). */
  async requestsTo(suffix: string): Promise<LoggedRequest[]> {
    return (await this.requests()).filter((r) => r.path.endsWith(suffix));
  }

  async clearRequests(): Promise<void> {
    await this.call('DELETE', 'requests');
  }

  /** Changes live settings (latency, long-poll window, key, masking, …); returns what the emulator reports. */
  async config(c: EmulatorConfig): Promise<unknown> {
    return this.call('POST', 'config', c);
  }

  /** Forgets every session, model, checkpoint and future. */
  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }
}
