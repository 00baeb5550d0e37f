/**
 * The client against what the real MinT server sends (mint-server-facts.md): queue state without
 * positions, cancel_future, save_state, masked failures, conflicts as failed futures.
 */
import assert from 'node:assert/strict';
import {
  CancelledError,
  CheckpointNotResumableError,
  Datum,
  parseCheckpointPath,
  RequestFailedError,
  type QueueStateEvent,
  type ServiceClient,
} from '../../../src/mint/index';
import { BASE_MODEL, TestServer, useTestServer, caught, clientFor, prompt, type LoggedRequest } from './support';

const RETRIEVE = '/api/v1/retrieve_future';
const CANCEL = '/api/v1/cancel_future';
const MASKED = 'Operation failed. Contact administrator if issue persists.';
const params = { max_tokens: 4, seed: 3 };
const datum = () => Datum.from({ model_input: [1, 2, 3], loss_fn_inputs: { target_tokens: [2, 3, 4] } });

/** Polls the request log until `pred` holds (the cancel is sent in the background). */
async function eventually(server: TestServer, suffix: string, pred: (r: LoggedRequest[]) => boolean, ms = 3_000): Promise<LoggedRequest[]> {
  const until = Date.now() + ms;
  for (;;) {
    const log = await server.requestsTo(suffix);
    if (pred(log) || Date.now() > until) return log;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('client against MinT-shaped replies', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: ServiceClient;

  useTestServer((t) => ({ server, client } = t), {
    server: { longPollMs: 300 },
    client: { maxRetries: 3 },
    config: { latencyMs: 0, longPollMs: 300 },
  });

  describe('queue state', () => {
    it('a MinT pending reply gives status, stage and progress, and no invented position, depth or ETA', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({
        route: RETRIEVE,
        status: 408,
        headers: {
          'Retry-After': '1',
          'X-Queue-Status': 'decode',
          'X-Queue-Stage': 'decode',
          'X-Queue-Tokens-Generated': '5',
          'X-Queue-Max-Tokens': '16',
        },
        body: {
          queue_state: 'active',
          retry_after_s: 1,
          type: 'try_again',
          status: 'decode',
          stage: 'decode',
          queue_position: null,
          queue_depth: null,
          estimated_wait_s: null,
          seq_id: null,
          model_id: null,
        },
      });
      const seen: QueueStateEvent[] = [];
      await sampler.sample({ prompt: prompt([1, 2]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
      assert.equal(seen.length, 1);
      const e = seen[0]!;
      assert.equal(e.status, 'decode');
      assert.equal(e.stage, 'decode');
      assert.equal(e.queue_state, 'active');
      assert.deepEqual(e.progress, { tokens_generated: 5, max_tokens: 16 });
      assert.equal(e.retry_after_s, 1);
      for (const k of ['queue_position', 'queue_depth', 'eta_s'] as const) assert.equal(e[k], undefined, `${k} was invented`);
    });

    it("status and stage come from the headers alone, and MinT's flat progress/max_tokens body is read", async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({
        route: RETRIEVE,
        status: 408,
        headers: { 'X-Queue-Status': 'queued', 'X-Queue-Stage': 'queued' },
        bodyText: '',
      });
      await server.fault({
        route: RETRIEVE,
        status: 408,
        body: { queue_state: 'active', type: 'try_again', status: 'prefill', progress: 3, max_tokens: 8 },
      });
      const seen: QueueStateEvent[] = [];
      await sampler.sample({ prompt: prompt([1]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
      assert.deepEqual(
        seen.map((e) => [e.status, e.stage]),
        [
          ['queued', 'queued'],
          ['prefill', undefined],
        ],
      );
      assert.equal(seen[0]!.queue_state, 'queued');
      assert.deepEqual(seen[1]!.progress, { tokens_generated: 3, max_tokens: 8 });
    });

    it("the emulator's own pending replies (MinT form by default) carry a status and no position", async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.fault({ route: '/api/v1/forward_backward', futurePendingPolls: 2 });
      const seen: QueueStateEvent[] = [];
      await training.forwardBackward([datum()], 'cross_entropy', undefined, { onQueueState: (e) => seen.push(e) });
      assert.ok(seen.length >= 1);
      for (const e of seen) {
        assert.ok(e.status === 'queued' || e.status === 'running', JSON.stringify(e));
        assert.equal(e.queue_position, undefined);
        assert.equal(e.eta_s, undefined);
      }
    });

    it('position, depth and ETA are passed on when a server does send them (older MinT)', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({
        route: RETRIEVE,
        status: 408,
        headers: { 'X-Queue-Status': 'queued', 'X-Queue-Position': '3', 'X-Queue-Depth': '7', 'X-Queue-ETA-S': '12.5' },
        body: { queue_state: 'active', type: 'try_again' },
      });
      const seen: QueueStateEvent[] = [];
      await sampler.sample({ prompt: prompt([1]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
      assert.deepEqual([seen[0]!.queue_position, seen[0]!.queue_depth, seen[0]!.eta_s], [3, 7, 12.5]);
    });

    it('a throttled poll (no type in the body) is pending, flagged, and waited on briefly', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({
        route: RETRIEVE,
        status: 408,
        headers: { 'Retry-After': '1', 'X-Tinker-Poll-Throttled': '1' },
        body: { queue_state: 'active', retry_after_s: 1 },
      });
      const seen: QueueStateEvent[] = [];
      const started = Date.now();
      const r = await sampler.sample({ prompt: prompt([1]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
      assert.equal(r.sequences.length, 1);
      assert.equal(seen[0]!.throttled, true);
      assert.ok(Date.now() - started >= 900, 'a throttled poll was repeated at once');
    });

    it('a long-polled pending reply with Retry-After: 1 is re-polled at once: no added latency', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.clearRequests();
      // Each pending reply took 400 ms (the server held it), as MinT's 20 s long-poll does.
      await server.fault({
        route: RETRIEVE,
        status: 408,
        delayMs: 400,
        times: 2,
        headers: { 'Retry-After': '1', 'X-Queue-Status': 'queued' },
        body: { type: 'try_again', queue_state: 'active', status: 'queued' },
      });
      const started = Date.now();
      await sampler.sample({ prompt: prompt([1]), sampling_params: params });
      const took = Date.now() - started;
      assert.ok(took < 1_500, `took ${took} ms: Retry-After: 1 was slept on after a long-poll`);
      assert.equal((await server.requestsTo(RETRIEVE)).length, 3);
    });
  });

  describe('cancel frees the server', () => {
    it('cancelling a pending sample calls cancel_future with its request id; the caller gets CancelledError at once', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.clearRequests();
      await server.fault({ route: '/api/v1/asample', futurePendingPolls: 1_000 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 400);
      const started = Date.now();
      const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }, { signal: ac.signal }));
      assert.ok(err instanceof CancelledError, err.message);
      assert.ok(Date.now() - started < 1_000, 'the caller waited for the cancel');
      const polled = (await server.requestsTo(RETRIEVE))[0]!.body as { request_id: string };
      const cancels = await eventually(server, CANCEL, (l) => l.length > 0);
      assert.equal(cancels.length, 1);
      assert.deepEqual(cancels[0]!.body, { request_id: polled.request_id });
    });

    it('cancelling a queued training op cancels it on the server, and the next op runs', async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      // A slow op ahead keeps optim_step really queued behind it (MinT runs a model's ops one at a time).
      await server.config({ latencyMs: 1_500 });
      const ahead = training.forwardBackward([datum()], 'cross_entropy');
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 400);
      const err = await caught(() => training.optimStep({ learning_rate: 1e-3 }, { signal: ac.signal }));
      assert.ok(err instanceof CancelledError);
      const cancels = await eventually(server, CANCEL, (l) => l.length > 0);
      assert.equal(cancels.length, 1);
      assert.equal(cancels[0]!.status, 200);
      await ahead;
      await server.config({ latencyMs: 0 });
      // The server's own record: the cancelled op's future failed as cancelled, it never ran.
      const cancelledId = (cancels[0]!.body as { request_id: string }).request_id;
      const res = await fetch(`${server.url}/api/v1/retrieve_future`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: cancelledId }),
      });
      const body = (await res.json()) as { error?: string };
      assert.match(body.error ?? '', /cancelled/i, JSON.stringify(body));
      const fb = await training.forwardBackward([datum()], 'cross_entropy');
      assert.equal(fb.request_ids.length, 1);
    });

    it('a server without cancel_future (404 Not Found) is skipped silently, and not asked again', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({ route: CANCEL, status: 404, body: { detail: 'Not Found' }, times: -1 });
      await server.fault({ route: '/api/v1/asample', futurePendingPolls: 1_000, times: -1 });
      for (let i = 0; i < 2; i++) {
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 200);
        const err = await caught(() => sampler.sample({ prompt: prompt([i]), sampling_params: params }, { signal: ac.signal }));
        assert.ok(err instanceof CancelledError);
        await eventually(server, CANCEL, (l) => l.length > 0);
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await server.requestsTo(CANCEL)).length, 1);
      await server.clearFaults();
    });

    it('a server answering 405 or 501 to cancel_future is skipped too', async () => {
      for (const status of [405, 501]) {
        const { client: c } = clientFor(server, { maxRetries: 0 });
        try {
          const sampler = await c.createSamplingClient({ base_model: BASE_MODEL });
          await server.clearRequests();
          await server.fault({ route: CANCEL, status, times: -1 });
          await server.fault({ route: '/api/v1/asample', futurePendingPolls: 1_000, times: -1 });
          for (let i = 0; i < 2; i++) {
            const ac = new AbortController();
            setTimeout(() => ac.abort(), 150);
            assert.ok(
              (await caught(() => sampler.sample({ prompt: prompt([i]), sampling_params: params }, { signal: ac.signal }))) instanceof
                CancelledError,
            );
            await eventually(server, CANCEL, (l) => l.length > 0);
          }
          await new Promise((r) => setTimeout(r, 150));
          assert.equal((await server.requestsTo(CANCEL)).length, 1, `status ${status}`);
        } finally {
          await server.clearFaults();
          await c.close();
        }
      }
    });
  });

  describe('saveState', () => {
    it('uses /save_state and returns a weights/ checkpoint that loadState with the optimizer resumes', async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      const saved = await training.saveState('resume-me');
      assert.equal(parseCheckpointPath(saved.path).kind, 'weights');
      assert.equal((await server.requestsTo('/api/v1/save_state')).length, 1);
      assert.equal((await server.requestsTo('/api/v1/save_weights')).length, 0);
      await training.loadState(saved.path, { optimizer: true });
    });

    it('falls back to /save_weights where /save_state does not exist, and remembers', async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      await server.fault({ route: '/api/v1/save_state', status: 404, body: { detail: 'Not Found' }, times: -1 });
      const a = await training.saveState('old-server-a');
      const b = await training.saveState('old-server-b');
      assert.equal(parseCheckpointPath(a.path).kind, 'weights');
      assert.equal(parseCheckpointPath(b.path).kind, 'weights');
      assert.equal((await server.requestsTo('/api/v1/save_state')).length, 1);
      assert.equal((await server.requestsTo('/api/v1/save_weights')).length, 2);
      await server.clearFaults();
    });

    it('a 501 from /save_state falls back at once, without retrying what is not implemented', async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      await server.fault({ route: '/api/v1/save_state', status: 501, body: { detail: 'Not Implemented' }, times: -1 });
      const a = await training.saveState('no-save-state');
      assert.equal(parseCheckpointPath(a.path).kind, 'weights');
      assert.equal((await server.requestsTo('/api/v1/save_state')).length, 1, 'a 501 was retried');
      await server.clearFaults();
    });

    it('a name already in use (a failed future on MinT) says to use another name', async () => {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.fault({
        route: '/api/v1/save_state',
        futureError: { error: `checkpoint already exists: ${training.model_id}/taken/training` },
      });
      const err = await caught(() => training.saveState('taken'));
      assert.ok(err instanceof RequestFailedError, err.message);
      assert.match(err.message, /checkpoint already exists/);
      assert.match(err.message, /another name/);
      assert.equal(err.masked, false);
    });
  });

  describe('masked failures', () => {
    it('MinT\'s "Operation failed…" is marked masked, with the request id in the message', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({ route: '/api/v1/asample', futureError: { error: MASKED } });
      const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
      assert.ok(err instanceof RequestFailedError);
      assert.equal(err.masked, true);
      assert.equal(err.server_error, MASKED);
      assert.ok(err.request_id && err.message.includes(err.request_id));
      assert.match(err.message, /hides the cause/);
    });

    it('an unmasked failure is not marked', async () => {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({ route: '/api/v1/asample', futureError: { error: 'CUDA out of memory' } });
      const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
      assert.ok(err instanceof RequestFailedError && err.masked === false);
    });
  });
});

describe('client against an emulator in production modes', function () {
  this.timeout(30_000);

  it('saveState on a server whose /save_weights writes sampler checkpoints and has no /save_state: a clear error, not an unresumable path', async () => {
    const server = await TestServer.start({ saveWeightsAsSampler: true });
    const { client } = clientFor(server);
    try {
      const training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.fault({ route: '/api/v1/save_state', status: 404, body: { detail: 'Not Found' }, times: -1 });
      const err = await caught(() => training.saveState('will-be-sampler'));
      assert.ok(err instanceof CheckpointNotResumableError, err.message);
      assert.match(err.path, /sampler_weights\/will-be-sampler$/);
      assert.match(err.message, /cannot resume training/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('with --mask-errors, a real failure arrives masked and is marked', async () => {
    const server = await TestServer.start({ maskErrors: true });
    const { client } = clientFor(server);
    try {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({ route: '/api/v1/asample', futureError: { error: 'Engine crashed: CUDA error' } });
      const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
      assert.ok(err instanceof RequestFailedError, err.message);
      assert.equal(err.masked, true);
      assert.doesNotMatch(err.message, /CUDA/);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
