import assert from 'node:assert/strict';
import {
  APIResponseValidationError,
  BadRequestError,
  NotFoundError,
  NotSupportedError,
  type ChatCompletionRequest,
  type ChatMessage,
  type CompletionRequest,
  type ServiceClient,
} from '../../../src/mint/index';
import { API_KEY, BASE_MODEL, TestServer, assertNoKey, caught, clientFor } from './support';

describe('OpenAIClient against the emulator', function () {
  this.timeout(20_000);
  let server: TestServer;
  let client: ServiceClient;

  before(async () => {
    server = await TestServer.start({ apiKey: API_KEY });
    ({ client } = clientFor(server));
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  afterEach(async () => {
    await server.clearFaults();
  });

  it('lists models and completes text and chat under {base}/oai/api/v1, sending both auth headers', async () => {
    const oai = client.createOpenAIClient();
    assert.equal(oai.baseUrl, `${server.url}/oai/api/v1`);
    const models = await oai.models();
    assert.ok(models.some((m) => m.id === BASE_MODEL));
    const c = await oai.completions({ model: BASE_MODEL, prompt: 'The river', max_tokens: 8 });
    assert.equal(c.choices.length, 1);
    assert.equal(typeof c.choices[0]!.text, 'string');
    assert.ok(c.usage && c.usage.completion_tokens > 0);
    const chat = await oai.chatCompletions({ model: BASE_MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 });
    assert.equal(chat.choices[0]!.message.role, 'assistant');
    const logged = await server.requestsTo('/oai/api/v1/chat/completions');
    assert.equal(logged.at(-1)!.headers.authorization, '[redacted]');
    assert.equal(logged.at(-1)!.headers['x-api-key'], '[redacted]');
    assert.deepEqual([(logged.at(-1)!.body as { stream: boolean }).stream, (logged.at(-1)!.body as { n: number }).n], [false, 1]);
  });

  it("sends only the fields MinT's /oai accepts (it answers 422 to seed, user, logprobs, ...)", async () => {
    const oai = client.createOpenAIClient();
    // As an OpenAI-SDK-shaped object would arrive from user code: extra keys the type does not list.
    const extra = { seed: 1, user: 'u', logprobs: 2, frequency_penalty: 0 };
    await oai.completions({ model: BASE_MODEL, prompt: 'The river', max_tokens: 4, ...extra } as CompletionRequest);
    await oai.chatCompletions({
      model: BASE_MODEL,
      max_tokens: 4,
      ...extra,
      messages: [{ role: 'user', content: 'Hi', extra_field: true } as ChatMessage],
    } as ChatCompletionRequest);
    const c = (await server.requestsTo('/oai/api/v1/completions')).at(-1)!.body as Record<string, unknown>;
    assert.deepEqual(Object.keys(c).sort(), ['max_tokens', 'model', 'n', 'prompt', 'stream']);
    const chat = (await server.requestsTo('/oai/api/v1/chat/completions')).at(-1)!.body as { messages: object[] };
    assert.deepEqual(Object.keys(chat).sort(), ['max_tokens', 'messages', 'model', 'n', 'stream']);
    assert.deepEqual(chat.messages, [{ role: 'user', content: 'Hi' }]);
  });

  it('OpenAI-style error bodies map into the same classes with their message', async () => {
    const oai = client.createOpenAIClient();
    const err = await caught(() =>
      oai.chatCompletions({ model: 'no/such-model', messages: [{ role: 'user', content: 'x' }], max_tokens: 4 }),
    );
    assert.ok(err instanceof NotFoundError || err instanceof BadRequestError, `${err.name}: ${err.message}`);
    assert.match(err.message, /no\/such-model/);
    assertNoKey(err);

    await server.fault({
      route: '/oai/api/v1/completions',
      status: 400,
      body: { error: { message: 'stream is not supported', type: 'invalid_request_error', code: null } },
    });
    const bad = await caught(() => oai.completions({ model: BASE_MODEL, prompt: 'x' }));
    assert.ok(bad instanceof BadRequestError);
    assert.match(bad.message, /400.*stream is not supported/);
  });

  it('a server without the /oai routes -> NotSupportedError naming the endpoint, not "not found"', async () => {
    await server.fault({ route: '/oai/api/v1/completions', status: 404, body: { detail: 'Not Found' } });
    const err = await caught(() => client.createOpenAIClient().completions({ model: BASE_MODEL, prompt: 'x', max_tokens: 4 }));
    assert.ok(err instanceof NotSupportedError, `${err.name}: ${err.message}`);
    assert.ok(err instanceof NotFoundError, 'still a NotFoundError for code that catches 404s');
    assert.match(err.message, /OpenAI-compatible endpoint \(\/oai\/api\/v1\/completions\) is not supported by this server/);
    assertNoKey(err);
  });

  it('a reply that is not a completion -> APIResponseValidationError', async () => {
    await server.fault({ route: '/oai/api/v1/completions', status: 200, body: { object: 'text_completion' } });
    const err = await caught(() => client.createOpenAIClient().completions({ model: BASE_MODEL, prompt: 'x' }));
    assert.ok(err instanceof APIResponseValidationError);
  });
});
