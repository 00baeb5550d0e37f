/** The status bar's words for a waiting request: what the server said, never a number it did not. */
import assert from 'node:assert/strict';
import { queueEvent } from '../../../src/mint/queueState';
import { queueBadgeOf, queueText } from '../../../src/vscode/queueBadge';

const text = (body: unknown, headers: Record<string, string> = {}) => queueText(queueBadgeOf(queueEvent('req-1', body, headers)));

describe('status bar: queue badge', () => {
  it("MinT's pending reply (status/stage, Retry-After: 1) shows the stage and no ETA", () => {
    const body = {
      queue_state: 'active',
      retry_after_s: 1,
      request_id: 'req-1',
      type: 'try_again',
      status: 'queued',
      stage: 'queued',
      queue_position: null,
      estimated_wait_s: null,
    };
    assert.equal(text(body, { 'retry-after': '1', 'x-queue-status': 'queued' }), 'queued');
    assert.equal(text({ ...body, status: 'prefill', stage: 'prefill' }), 'prefill');
  });

  it('decoding shows progress when the server sends it', () => {
    assert.equal(text({ status: 'decode', stage: 'decode', progress: 40, max_tokens: 128 }), 'decoding 40/128');
    assert.equal(text({}, { 'x-queue-status': 'decode', 'x-queue-tokens-generated': '3', 'x-queue-max-tokens': '8' }), 'decoding 3/8');
  });

  it('position, depth and ETA only when a server sends them (older MinT, Tinker)', () => {
    assert.equal(
      text({}, { 'x-queue-status': 'queued', 'x-queue-position': '3', 'x-queue-depth': '9', 'x-queue-eta-s': '11.2' }),
      'queued #3 of 9 · ETA 12s',
    );
    assert.equal(text({ queue_position: 2 }), 'queue #2');
  });

  it('says nothing when the server said nothing useful', () => {
    assert.equal(text({ queue_state: 'active', retry_after_s: 1 }), undefined);
  });
});
