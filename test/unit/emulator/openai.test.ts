import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { datum, get, op, post, session, trainingModel, withEmulator } from './helpers';

const OAI = '/oai/api/v1';
const MODEL = 'Qwen/Qwen3-0.6B';
const user = (content: string) => ({ role: 'user', content });
const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

describe('emulator: OpenAI-compatible routes', function () {
  let emu: Emulator;
  let base: string;
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
  });
  after(() => emu.close());

  it('lists models and one model by an id holding a slash', async () => {
    const list = await get(base, `${OAI}/models`);
    assert.equal(list.json.object, 'list');
    assert.ok(list.json.data.some((m: { id: string }) => m.id === MODEL));
    assert.ok(list.json.data.some((m: { id: string }) => m.id === 'Qwen/Qwen3.6-35B-A3B'));
    const one = await get(base, `${OAI}/models/${MODEL}`);
    assert.deepEqual([one.json.id, one.json.object, one.json.owned_by], [MODEL, 'model', 'mint']);
    const none = await get(base, `${OAI}/models/acme/none`);
    assert.deepEqual([none.status, none.json], [404, { error: { message: 'Model not found', type: 'invalid_request_error', code: null } }]);
  });

  it('answers chat completions with text, usage and finish_reason through the Qwen3 chat template', async () => {
    const r = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'system', content: 'Be brief.' }, user('Tell me about the weather.')],
      max_tokens: 24,
      temperature: 0,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const choice = r.json.choices[0];
    assert.deepEqual([choice.message.role, choice.message.tool_calls, choice.logprobs], ['assistant', null, null]);
    assert.ok(typeof choice.message.content === 'string' && choice.message.content.trim().length > 0);
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    assert.ok(r.json.usage.prompt_tokens > 10);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + r.json.usage.completion_tokens);
    assert.ok(!choice.message.content.includes('<|im_end|>'));
    const again = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'system', content: 'Be brief.' }, user('Tell me about the weather.')],
      max_tokens: 24,
      temperature: 0,
    });
    assert.equal(again.json.choices[0].message.content, choice.message.content, 'temperature 0 is greedy');
  });

  it('answers text completions and leaves the stop sequence out of the text', async () => {
    const r = await post(base, `${OAI}/completions`, {
      model: MODEL,
      prompt: 'The night train',
      max_tokens: 30,
      temperature: 0,
      stop: [' the'],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.deepEqual(Object.keys(r.json.choices[0]).sort(), ['finish_reason', 'index', 'logprobs', 'text']);
    assert.ok(!r.json.choices[0].text.includes(' the'));
  });

  it('rejects what MinT\'s models forbid with FastAPI\'s 422 {"detail": [...]}, not the OpenAI shape', async () => {
    const extra = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: [user('hi')],
      seed: 3,
      user: 'u1',
      logprobs: true,
    });
    assert.equal(extra.status, 422);
    assert.deepEqual(
      extra.json.detail.map((d: { type: string; loc: unknown[]; input: unknown }) => [d.type, d.loc, d.input]),
      [
        ['extra_forbidden', ['body', 'seed'], 3],
        ['extra_forbidden', ['body', 'user'], 'u1'],
        ['extra_forbidden', ['body', 'logprobs'], true],
      ],
    );
    assert.equal(extra.json.detail[0].msg, 'Extra inputs are not permitted');
    const seeded = await post(base, `${OAI}/completions`, { model: MODEL, prompt: 'x', seed: 1 });
    assert.deepEqual([seeded.status, seeded.json.detail[0].type], [422, 'extra_forbidden']);
    const parts = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
    assert.equal(parts.status, 422);
    assert.deepEqual([parts.json.detail[0].type, parts.json.detail[0].loc], ['string_type', ['body', 'messages', 0, 'content']]);
    const tool = await post(base, `${OAI}/chat/completions`, { model: MODEL, messages: [user('hi'), { role: 'tool', content: '42' }] });
    assert.equal(tool.status, 422);
    assert.deepEqual(
      [tool.json.detail[0].type, tool.json.detail[0].loc, tool.json.detail[0].msg],
      ['value_error', ['body', 'messages', 1], 'Value error, tool messages require tool_call_id'],
    );
    const missing = await post(base, `${OAI}/chat/completions`, { model: MODEL });
    assert.deepEqual([missing.status, missing.json.detail[0].type, missing.json.detail[0].loc], [422, 'missing', ['body', 'messages']]);
    const undeclared = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: [user('hi')],
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'nope' } },
    });
    assert.deepEqual(
      [undeclared.status, undeclared.json.detail[0].msg],
      [422, "Value error, tool_choice function 'nope' must be declared in tools"],
    );
    const requiredAlone = await post(base, `${OAI}/chat/completions`, { model: MODEL, messages: [user('hi')], tool_choice: 'required' });
    assert.equal(requiredAlone.json.detail[0].msg, "Value error, tool_choice='required' requires tools");
  });

  it('answers handler errors as {"error":{message, type:"invalid_request_error", code:null}}', async () => {
    const shape = (r: { json: { error: Record<string, unknown> } }) => [r.json.error['type'], r.json.error['code']];
    const stream = await post(base, `${OAI}/chat/completions`, { model: MODEL, messages: [user('hi')], stream: true });
    assert.deepEqual(
      [stream.status, stream.json.error.message, ...shape(stream)],
      [400, 'stream=True is not supported', 'invalid_request_error', null],
    );
    const n = await post(base, `${OAI}/completions`, { model: MODEL, prompt: 'x', n: 2 });
    assert.deepEqual([n.status, n.json.error.message], [400, 'Only n=1 is supported']);
    const unknown = await post(base, `${OAI}/completions`, { model: 'acme/none', prompt: 'x' });
    assert.deepEqual([unknown.status, ...shape(unknown)], [400, 'invalid_request_error', null]);
    assert.match(unknown.json.error.message, /acme\/none/);
    const zero = await post(base, `${OAI}/completions`, { model: MODEL, prompt: 'x', max_tokens: 0 });
    assert.deepEqual([zero.status, ...shape(zero)], [400, 'invalid_request_error', null]);
  });

  it('takes tools; answers in text under "auto", and makes the forced call (arguments "{}") under a named tool_choice or "required"', async () => {
    const history = [
      user('Weather in Paris?'),
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      user('And in Rome?'),
    ];
    const auto = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: history,
      tools: [WEATHER],
      tool_choice: 'auto',
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(auto.status, 200, auto.text);
    assert.equal(auto.json.choices[0].message.tool_calls, null);
    assert.notEqual(auto.json.choices[0].finish_reason, 'tool_calls');
    const plain = await post(base, `${OAI}/chat/completions`, { model: MODEL, messages: history, max_tokens: 8, temperature: 0 });
    assert.ok(auto.json.usage.prompt_tokens > plain.json.usage.prompt_tokens, 'the tools are rendered into the prompt');
    const off = await post(base, `${OAI}/chat/completions`, {
      model: MODEL,
      messages: history,
      tools: [WEATHER],
      tool_choice: 'none',
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(off.json.usage.prompt_tokens, plain.json.usage.prompt_tokens, 'tool_choice none leaves them out');

    for (const tool_choice of [{ type: 'function', function: { name: 'get_weather' } }, 'required']) {
      const forced = await post(base, `${OAI}/chat/completions`, { model: MODEL, messages: history, tools: [WEATHER], tool_choice });
      assert.equal(forced.status, 200, forced.text);
      const choice = forced.json.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.content, null);
      assert.equal(choice.message.tool_calls.length, 1);
      const call = choice.message.tool_calls[0];
      assert.match(call.id, /^call_[0-9a-f]{24}$/);
      assert.deepEqual([call.type, call.function], ['function', { name: 'get_weather', arguments: '{}' }]);
      assert.ok(forced.json.usage.completion_tokens > 5);
    }
  });

  it('accepts a sampler checkpoint path as the model', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    await op(base, 'forward_backward', {
      model_id: id,
      seq_id: 1,
      forward_backward_input: { data: [datum([785, 5426, 374])], loss_fn: 'cross_entropy' },
    });
    const saved = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: 2, path: 'oai' });
    const r = await post(base, `${OAI}/completions`, { model: saved.path, prompt: 'Rain', max_tokens: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, saved.path);
    const bad = await post(base, `${OAI}/completions`, { model: `mint://${id}/sampler_weights/missing`, prompt: 'Rain', max_tokens: 5 });
    assert.equal(bad.status, 404);
    assert.deepEqual([bad.json.error.type, bad.json.error.code], ['invalid_request_error', null]);
    assert.match(bad.json.error.message, /Checkpoint not found/);
  });
});
