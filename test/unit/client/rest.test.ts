import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { Datum, NotFoundError, NotSupportedError, type RestClient, type ServiceClient, type TrainingClient } from '../../../src/mint/index';
import { BASE_MODEL, TestServer, caught, clientFor } from './support';

describe('RestClient against the emulator', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: ServiceClient;
  let rest: RestClient;
  let trainers: TrainingClient[];

  before(async () => {
    server = await TestServer.start();
    ({ client } = clientFor(server));
    rest = client.createRestClient();
    trainers = [];
    for (let i = 0; i < 5; i++) trainers.push(await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 }));
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  afterEach(async () => {
    await server.clearFaults();
  });

  it('lists training runs page by page, and iterates all of them', async () => {
    const first = await rest.listTrainingRuns({ limit: 2, offset: 0 });
    assert.equal(first.training_runs.length, 2);
    assert.equal(first.cursor?.total_count, 5);
    const all: string[] = [];
    for await (const run of rest.iterateTrainingRuns({ limit: 2 })) all.push(run.training_run_id);
    assert.equal(all.length, 5);
    assert.deepEqual(new Set(all), new Set(trainers.map((t) => t.model_id)));
    const q = (await server.requestsTo('/api/v1/training_runs')).map((r) => r.query);
    assert.ok(q.some((x) => x.limit === '2' && x.offset === '4'));
  });

  it('gets one run; an unknown run is a NotFoundError, not "unsupported"', async () => {
    const run = await rest.getTrainingRun(trainers[0]!.model_id);
    assert.equal(run.base_model, BASE_MODEL);
    assert.equal(run.lora_rank, 4);
    const err = await caught(() => rest.getTrainingRun('no-such-run'));
    assert.ok(err instanceof NotFoundError && !(err instanceof NotSupportedError));
    assert.match(err.message, /no-such-run/);
  });

  it('a run without checkpoints lists [] (MinT answers 404); an unknown run still throws', async () => {
    assert.deepEqual(await rest.listCheckpoints(trainers[1]!.model_id), []);
    assert.ok((await caught(() => rest.listCheckpoints('no-such-run'))) instanceof NotFoundError);
  });

  it("lists checkpoints newest first with `path` in this client's scheme, downloads the .tar.gz MinT streams, reads weights info, deletes", async () => {
    const t = trainers[2]!;
    await t.forwardBackward([Datum.from({ model_input: [785, 13], loss_fn_inputs: { target_tokens: [13, 785] } })], 'cross_entropy');
    const sampler = await t.saveWeightsForSampler('ckpt-a');
    await new Promise((r) => setTimeout(r, 20));
    const state = await t.saveState('state-a');
    const cps = await rest.listCheckpoints(t.model_id);
    assert.deepEqual(
      cps.map((c) => c.checkpoint_type),
      ['training', 'sampler'],
      'newest first',
    );
    assert.deepEqual(
      cps.map((c) => c.path),
      [state.path, sampler.path],
    );
    assert.ok(
      cps.every((c) => c.tinker_path.startsWith('tinker://')),
      'MinT always puts tinker:// in tinker_path',
    );

    await server.clearRequests();
    const dir = await mkdtemp(join(tmpdir(), 'mint-archive-'));
    try {
      const got = await rest.downloadCheckpointArchive(sampler.path, join(dir, 'a.tar.gz'));
      assert.deepEqual([got.via, got.gzip], ['stream', true]);
      assert.equal((await stat(got.file)).size, got.bytes);
      assert.ok(got.bytes > 0);
      assert.equal((await server.requests()).length, 1);
      // A non-SDK client has no link to give: the error names the method that works.
      const err = await caught(() => rest.getCheckpointArchiveUrl(sampler.path));
      assert.match(err.message, /downloadCheckpointArchive/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // MinT answers weights_info only for training state (400 for a sampler checkpoint).
    const info = await rest.getWeightsInfo(state.path);
    assert.equal(info.base_model, BASE_MODEL);
    assert.equal(info.lora_rank, 4);

    await rest.deleteCheckpoint(sampler.path);
    assert.deepEqual(
      (await rest.listCheckpoints(t.model_id)).map((c) => c.path),
      [state.path],
    );
    assert.ok((await caught(() => rest.deleteCheckpoint(sampler.path))) instanceof NotFoundError);
  });

  it('the redirect form (what the Tinker SDK gets): the link is not followed by getCheckpointArchiveUrl, and downloadCheckpointArchive fetches it', async () => {
    const { client: sdk } = clientFor(server, { userAgent: 'Tinker/Python 0.22.0' });
    try {
      const t = trainers[3]!;
      const saved = await t.saveWeightsForSampler('ckpt-link');
      const r = sdk.createRestClient();
      await server.clearRequests();
      const archive = await r.getCheckpointArchiveUrl(saved.path);
      assert.match(archive.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/training_runs\/.+\/archive\?.*download_token=/);
      assert.ok(archive.expires);
      assert.equal((await server.requests()).length, 1, 'the redirect must not be followed');
      const download = await request(archive.url);
      assert.equal(download.statusCode, 200);
      assert.ok((await download.body.arrayBuffer()).byteLength > 0);

      const dir = await mkdtemp(join(tmpdir(), 'mint-archive-'));
      try {
        await server.clearRequests();
        const got = await r.downloadCheckpointArchive(saved.path, join(dir, 'b.tar.gz'));
        assert.equal(got.via, 'link');
        assert.ok(got.bytes > 0 && got.gzip);
        const log = await server.requests();
        assert.equal(log.length, 2);
        assert.equal(log[1]!.headers['x-api-key'], undefined, 'the API key went to the signed link');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await sdk.close();
    }
  });

  it("an older server's checkpoint list (no `path`, oldest first, naive times) reads the same", async () => {
    await server.fault({
      route: '/api/v1/training_runs/r1/checkpoints',
      method: 'GET',
      status: 200,
      body: {
        checkpoints: [
          { checkpoint_id: 'weights/old', checkpoint_type: 'training', time: '2026-01-01T10:00:00', tinker_path: 'mint://r1/weights/old' },
          {
            checkpoint_id: 'weights/new',
            checkpoint_type: 'training',
            time: '2026-01-02T10:00:00.5',
            tinker_path: 'mint://r1/weights/new',
          },
        ],
      },
    });
    const cps = await rest.listCheckpoints('r1');
    assert.deepEqual(
      cps.map((c) => c.path),
      ['mint://r1/weights/new', 'mint://r1/weights/old'],
    );
    assert.equal(cps[0]!.time, '2026-01-02T10:00:00.5Z');
  });

  it('training runs as MinT lists them (null last_checkpoint, last_activity, idle_for_s, naive time) are read, times in UTC', async () => {
    await server.fault({
      route: '/api/v1/training_runs',
      method: 'GET',
      status: 200,
      body: {
        training_runs: [
          {
            training_run_id: 's_0',
            base_model: BASE_MODEL,
            model_owner: 'u',
            is_lora: true,
            corrupted: false,
            lora_rank: 8,
            last_request_time: '2026-08-05T12:34:56.789012',
            last_checkpoint: null,
            last_sampler_checkpoint: null,
            user_metadata: {},
            last_activity: '2026-08-05T12:34:56.789012',
            idle_for_s: 12.5,
            access_scope: 'owned',
          },
        ],
        cursor: { offset: 0, limit: 20, total_count: 1 },
      },
    });
    const res = await rest.listTrainingRuns();
    const run = res.training_runs[0]!;
    assert.equal(run.last_checkpoint, null);
    assert.equal(run.idle_for_s, 12.5);
    assert.equal(run.last_request_time, '2026-08-05T12:34:56.789012Z');
    assert.equal(Date.parse(run.last_request_time!), Date.UTC(2026, 7, 5, 12, 34, 56, 789));
  });

  it('lists sessions and reads one, and reads a sampler', async () => {
    const sessionId = await client.sessionId();
    const s = await rest.listSessions({ limit: 10 });
    assert.ok(s.sessions.includes(sessionId));
    assert.equal(s.cursor, undefined, "MinT's /sessions has no cursor");
    const one = await rest.getSession(sessionId);
    assert.deepEqual(new Set(one.training_run_ids), new Set(trainers.map((t) => t.model_id)));
    const sampling = await client.createSamplingClient({ base_model: BASE_MODEL });
    const sampler = await rest.getSampler(sampling.sampling_session_id);
    assert.equal(sampler.base_model, BASE_MODEL);
  });

  it('an older /sessions with a cursor is read too', async () => {
    await server.fault({
      route: '/api/v1/sessions',
      method: 'GET',
      status: 200,
      body: { sessions: ['a', 'b'], cursor: { offset: 0, limit: 20, total_count: 2 } },
    });
    const s = await rest.listSessions();
    assert.deepEqual(s.sessions, ['a', 'b']);
    assert.equal(s.cursor?.total_count, 2);
  });

  it('capabilities: num_parameters in billions whether the server sent billions (MinT) or a raw count', async () => {
    const caps = await client.getServerCapabilities();
    const small = caps.supported_models.find((m) => m.model_name === BASE_MODEL)!;
    assert.equal(small.num_parameters, 0.6);
    await server.fault({
      route: '/api/v1/get_server_capabilities',
      status: 200,
      body: {
        supported_models: [
          { model_name: 'a', max_context_length: 4096, num_parameters: 600_000_000 },
          { model_name: 'b', num_parameters: 30 },
          { model_name: 'c', num_parameters: null },
        ],
      },
    });
    const old = await client.getServerCapabilities();
    assert.deepEqual(
      old.supported_models.map((m) => m.num_parameters),
      [0.6, 30, null],
    );
  });

  it('a route the server lacks is "not supported by this server", still a NotFoundError', async () => {
    await server.fault({ route: '/api/v1/weights_info', status: 404, body: { detail: 'Not Found' } });
    const err = await caught(() => rest.getWeightsInfo('mint://r/weights/x'));
    assert.ok(err instanceof NotSupportedError && err instanceof NotFoundError);
    assert.equal(err.operation, 'Getting checkpoint info (weights_info)');
    assert.match(err.message, /is not supported by this server/);
    assert.equal(err.status, 404);

    await server.fault({ route: '/api/v1/training_runs', status: 404, body: { detail: 'Not Found' } });
    const list = await caught(() => rest.listTrainingRuns());
    assert.ok(list instanceof NotSupportedError);
    assert.match(list.message, /^Listing training runs is not supported by this server/);
  });

  it('a malformed checkpoint path is refused before any request', async () => {
    await server.clearRequests();
    const err = await caught(() => rest.deleteCheckpoint('mint://only-two/segments'));
    assert.match(err.message, /Invalid checkpoint path/);
    assert.equal((await server.requests()).length, 0);
  });
});
