import assert from 'node:assert/strict';
import { request } from 'undici';
import {
  Datum,
  NotFoundError,
  NotSupportedError,
  type RestClient,
  type ServiceClient,
  type TrainingClient,
} from '../../../src/mint/index';
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

  it('lists checkpoints, gives an archive URL without following it, reads weights info, deletes', async () => {
    const t = trainers[2]!;
    await t.forwardBackward([Datum.from({ model_input: [785, 13], loss_fn_inputs: { target_tokens: [13, 785] } })], 'cross_entropy');
    const sampler = await t.saveWeightsForSampler('ckpt-a');
    const state = await t.saveState('state-a');
    const cps = await rest.listCheckpoints(t.model_id);
    assert.deepEqual(cps.map((c) => c.checkpoint_type).sort(), ['sampler', 'training']);
    assert.deepEqual(cps.map((c) => c.tinker_path).sort(), [sampler.path, state.path].sort());

    await server.clearRequests();
    const archive = await rest.getCheckpointArchiveUrl(sampler.path);
    assert.match(archive.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/training_runs\/.+\/archive\?.*download_token=/);
    assert.ok(archive.expires);
    assert.equal((await server.requests()).length, 1, 'the redirect must not be followed');
    const download = await request(archive.url);
    assert.equal(download.statusCode, 200);
    assert.ok((await download.body.arrayBuffer()).byteLength > 0);

    const info = await rest.getWeightsInfo(sampler.path);
    assert.equal(info.base_model, BASE_MODEL);
    assert.equal(info.lora_rank, 4);

    await rest.deleteCheckpoint(sampler.path);
    assert.deepEqual((await rest.listCheckpoints(t.model_id)).map((c) => c.tinker_path), [state.path]);
    assert.ok((await caught(() => rest.deleteCheckpoint(sampler.path))) instanceof NotFoundError);
  });

  it('an archive URL answered 200 {url, expires} is accepted too', async () => {
    await server.fault({ route: '/api/v1/training_runs/*', method: 'GET', status: 200, body: { url: 'https://storage.example/a.tar', expires: '2030-01-01T00:00:00Z' } });
    assert.deepEqual(await rest.getCheckpointArchiveUrl('mint://r/sampler_weights/x'), { url: 'https://storage.example/a.tar', expires: '2030-01-01T00:00:00Z' });
  });

  it('lists sessions and reads one, and reads a sampler', async () => {
    const sessionId = await client.sessionId();
    const s = await rest.listSessions({ limit: 10 });
    assert.ok(s.sessions.includes(sessionId));
    const one = await rest.getSession(sessionId);
    assert.deepEqual(new Set(one.training_run_ids), new Set(trainers.map((t) => t.model_id)));
    const sampling = await client.createSamplingClient({ base_model: BASE_MODEL });
    const sampler = await rest.getSampler(sampling.sampling_session_id);
    assert.equal(sampler.base_model, BASE_MODEL);
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
