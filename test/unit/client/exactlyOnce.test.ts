/**
 * The exactly-once matrix: MinT runs every training POST it receives (no dedupe), so a mutating
 * op whose reply was lost must not be resent by the client; refusals are retried; samples, which
 * MinT deduplicates by seq_id, are retried with the same seq_id.
 */
import assert from 'node:assert/strict';
import { createServer, Socket, type Server } from 'node:net';
import {
  APIConnectionError,
  APIResponseValidationError,
  APITimeoutError,
  CancelledError,
  Datum,
  InternalServerError,
  type ServiceClient,
  type TrainingClient,
} from '../../../src/mint/index';
import { BASE_MODEL, TestServer, useTestServer, caught, clientFor, prompt } from './support';

const datum = () => Datum.from({ model_input: [1, 2, 3], loss_fn_inputs: { target_tokens: [2, 3, 4] } });
const seqOf = (b: unknown) => (b as { seq_id?: number }).seq_id;

describe('exactly once for mutating training ops', function () {
  this.timeout(40_000);
  let server: TestServer;
  let client: ServiceClient;
  let training: TrainingClient;

  useTestServer((t) => ({ server, client } = t), { client: { maxRetries: 3 } });
  beforeEach(async () => {
    training = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
    await server.clearRequests();
  });

  /** Each mutating op, as the client calls it, and the route its POST goes to. */
  const ops: { route: string; call: (t: TrainingClient) => Promise<unknown> }[] = [
    { route: 'forward_backward', call: (t) => t.forwardBackward([datum()], 'cross_entropy') },
    { route: 'optim_step', call: (t) => t.optimStep({ learning_rate: 1e-3 }) },
    { route: 'save_state', call: (t) => t.saveState('dropped-state') },
    { route: 'save_weights_for_sampler', call: (t) => t.saveWeightsForSampler('dropped-sampler') },
    { route: 'save_weights_for_sampler', call: (t) => t.saveWeightsAndGetSamplingClient() },
    { route: 'load_weights', call: (t) => t.loadState(stateToLoad) },
  ];
  let stateToLoad = '';

  for (const [i, op] of ops.entries()) {
    it(`${op.route} (#${i + 1}): a reply dropped after the server applied it is not resent; the error says so; the client goes on`, async () => {
      if (op.route === 'load_weights') {
        stateToLoad = (await training.saveState('to-load')).path;
        await server.clearRequests();
      }
      await server.fault({ route: `/api/v1/${op.route}`, drop: 'after-handling' });
      const err = await caught(() => op.call(training));
      assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
      assert.equal(err.mayHaveBeenApplied, true);
      assert.equal(err.training_op, op.route);
      assert.match(err.message, /may have applied/);
      assert.match(err.message, /not sent again/);
      const posts = await server.requestsTo(`/api/v1/${op.route}`);
      assert.equal(posts.length, 1, 'the client resent a request the server had already applied');

      // The turn chain goes on, with a fresh seq_id (the spent one is never reused).
      const fb = await training.forwardBackward([datum()], 'cross_entropy');
      assert.ok(fb.metrics['loss:mean'] !== undefined || Object.keys(fb.metrics).length > 0);
      const next = (await server.requestsTo('/api/v1/forward_backward')).at(-1)!;
      assert.ok(seqOf(next.body)! > seqOf(posts[0]!.body)!, 'a spent seq_id was reused');
    });
  }

  it('the dropped save really was applied on the server: its checkpoint is listed', async () => {
    await server.fault({ route: '/api/v1/save_state', drop: 'after-handling' });
    const err = await caught(() => training.saveState('applied-anyway'));
    assert.ok(err instanceof APIConnectionError && err.mayHaveBeenApplied);
    assert.match(err.message, /list the run's checkpoints/);
    const cps = await client.createRestClient().listCheckpoints(training.model_id);
    assert.ok(
      cps.some((c) => c.checkpoint_id.endsWith('applied-anyway')),
      JSON.stringify(cps),
    );
  });

  it('create_model dropped after handling: one POST, marked, and the error says to look for a new run', async () => {
    await server.fault({ route: '/api/v1/create_model', drop: 'after-handling' });
    const err = await caught(() => client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 }));
    assert.ok(err instanceof APIConnectionError && err.mayHaveBeenApplied, `${err.name}: ${err.message}`);
    assert.equal(err.training_op, 'create_model');
    assert.match(err.message, /list your training runs/);
    assert.equal((await server.requestsTo('/api/v1/create_model')).length, 1);
  });

  for (const status of [500, 502, 504]) {
    it(`${status} on forward_backward (a gateway may have forwarded it) is not resent: InternalServerError, marked`, async () => {
      await server.fault({ route: '/api/v1/forward_backward', status, times: -1 });
      const err = await caught(() => training.forwardBackward([datum()], 'cross_entropy'));
      assert.ok(err instanceof InternalServerError, err.message);
      assert.equal(err.status, status);
      assert.equal(err.mayHaveBeenApplied, true);
      assert.equal(err.training_op, 'forward_backward');
      assert.equal((await server.requestsTo('/api/v1/forward_backward')).length, 1);
      await server.clearFaults();
    });
  }

  it('a headers timeout after the body was sent is not resent: APITimeoutError, marked', async () => {
    const { client: c } = clientFor(server, { maxRetries: 3, timeoutMs: 800 });
    try {
      const t = await c.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      await server.fault({ route: '/api/v1/optim_step', delayMs: 2_500 });
      const err = await caught(() => t.optimStep({ learning_rate: 1e-3 }));
      assert.ok(err instanceof APITimeoutError, err.message);
      assert.equal(err.mayHaveBeenApplied, true);
      assert.equal((await server.requestsTo('/api/v1/optim_step')).length, 1);
    } finally {
      await c.close();
    }
  });

  it('a 2xx whose body cannot be read is marked: MinT took the op, the client cannot follow it', async () => {
    await server.fault({ route: '/api/v1/optim_step', status: 200, bodyText: '<html>proxy page</html>', contentType: 'text/html' });
    const err = await caught(() => training.optimStep({ learning_rate: 1e-3 }));
    assert.ok(err instanceof APIResponseValidationError, err.message);
    assert.deepEqual([err.mayHaveBeenApplied, err.training_op], [true, 'optim_step']);
    assert.equal((await server.requestsTo('/api/v1/optim_step')).length, 1);
  });

  it('a cancel after the body was sent says the op may have run; a cancel before sending does not', async () => {
    await server.fault({ route: '/api/v1/forward_backward', delayMs: 2_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await caught(() => training.forwardBackward([datum()], 'cross_entropy', undefined, { signal: ac.signal }));
    assert.ok(err instanceof CancelledError, err.message);
    assert.deepEqual([err.mayHaveBeenApplied, err.training_op], [true, 'forward_backward']);
    assert.match(err.message, /may have received forward_backward/);
    await server.clearFaults();
    const early = new AbortController();
    early.abort();
    const before = await caught(() => training.optimStep({ learning_rate: 1e-3 }, { signal: early.signal }));
    assert.ok(before instanceof CancelledError);
    assert.equal(before.mayHaveBeenApplied, false);
    assert.equal((await server.requestsTo('/api/v1/optim_step')).length, 0);
  });

  for (const status of [429, 408, 503]) {
    it(`an explicit refusal (${status}) is retried and the op succeeds once`, async () => {
      await server.fault({ route: '/api/v1/forward_backward', status, headers: { 'retry-after-ms': '20' } });
      const r = await training.forwardBackward([datum()], 'cross_entropy');
      assert.equal(r.request_ids.length, 1);
      const posts = await server.requestsTo('/api/v1/forward_backward');
      assert.equal(posts.length, 2);
      assert.equal(seqOf(posts[0]!.body), seqOf(posts[1]!.body), 'a retry of the same POST keeps its seq_id');
    });
  }

  it('forward is not mutating: a dropped reply is retried', async () => {
    await server.fault({ route: '/api/v1/forward', drop: 'after-handling' });
    const r = await training.forward([datum()], 'cross_entropy');
    assert.equal(r.loss_fn_outputs.length, 1);
    assert.equal((await server.requestsTo('/api/v1/forward')).length, 2);
  });

  it('a chunked forward_backward whose first chunk failed sends none of the rest', async () => {
    await server.fault({ route: '/api/v1/forward_backward', drop: 'after-handling' });
    const data = new Array(1500).fill(0).map(() => Datum.from({ model_input: [1], loss_fn_inputs: { target_tokens: [2] } }));
    const err = await caught(() => training.forwardBackward(data, 'cross_entropy'));
    assert.ok(err instanceof APIConnectionError && err.mayHaveBeenApplied, `${err.name}: ${err.message}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await server.requestsTo('/api/v1/forward_backward')).length, 1);
    // The caller sees the first chunk's error, not the "later chunk not sent" one.
    assert.doesNotMatch(err.message, /chunk \d+ of \d+ was not sent/);
  });

  it('sampling retries a dropped reply with the same seq_id and returns one result', async () => {
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    await server.clearRequests();
    await server.fault({ route: '/api/v1/asample', drop: 'after-handling' });
    const r = await sampler.sample({ prompt: prompt([3, 4, 5]), sampling_params: { max_tokens: 4, seed: 2 } });
    assert.equal(r.sequences.length, 1);
    const posts = await server.requestsTo('/api/v1/asample');
    assert.equal(posts.length, 2);
    assert.equal(seqOf(posts[0]!.body), seqOf(posts[1]!.body));
    // MinT (and the emulator) deduplicate by seq_id: one future, polled once.
    const polled = new Set((await server.requestsTo('/api/v1/retrieve_future')).map((p) => (p.body as { request_id: string }).request_id));
    assert.deepEqual([...polled], [r.request_id]);
  });
});

/**
 * A TCP forwarder in front of the emulator that can stop listening (connections are refused, so
 * nothing is ever sent) and start again on the same port.
 */
class Gate {
  private listener: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    const l = createServer((inbound) => {
      const outbound = new Socket();
      this.sockets.add(inbound).add(outbound);
      outbound.connect(this.target, '127.0.0.1');
      inbound.pipe(outbound).pipe(inbound);
      const end = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', end).on('close', end);
      outbound.on('error', end).on('close', end);
    });
    await new Promise<void>((resolve) => l.listen(this.port, '127.0.0.1', resolve));
    this.port = (l.address() as { port: number }).port;
    this.listener = l;
  }

  async shut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const l = this.listener;
    this.listener = undefined;
    if (l) await new Promise<void>((resolve) => l.close(() => resolve()));
  }
}

describe('exactly once: a refused connection was never sent, so it is retried', function () {
  this.timeout(30_000);

  it('optim_step while the server refuses connections is retried until it answers, then sent once', async () => {
    const server = await TestServer.start();
    const gate = new Gate(Number(new URL(server.url).port));
    await gate.open();
    const { client, events } = clientFor({ url: `http://127.0.0.1:${gate.port}` }, { maxRetries: 4 });
    try {
      const t = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
      await server.clearRequests();
      await gate.shut();
      // Let the pool see its sockets close, so the next request opens a new connection.
      await new Promise((r) => setTimeout(r, 100));
      setTimeout(() => void gate.open(), 700);
      const r = await t.optimStep({ learning_rate: 1e-3 });
      assert.ok(r.request_id);
      assert.equal((await server.requestsTo('/api/v1/optim_step')).length, 1);
      const refused = events.filter((e) => e.path.endsWith('/optim_step') && e.error);
      assert.ok(refused.length >= 1 && refused.every((e) => /ECONNREFUSED/.test(e.error!)), JSON.stringify(refused));
    } finally {
      await client.close();
      await gate.shut();
      await server.close();
    }
  });
});
