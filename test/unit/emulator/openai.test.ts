import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { datum, get, op, post, session, trainingModel, withEmulator } from './helpers';

const OAI = '/oai/api/v1';

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
    assert.ok(list.json.data.some((m: { id: string }) => m.id === 'Qwen/Qwen3-0.6B'));
    const one = await get(base, `${OAI}/models/Qwen/Qwen3-0.6B`);
    assert.deepEqual([one.json.id, one.json.object], ['Qwen/Qwen3-0.6B', 'model']);
    const none = await get(base, `${OAI}/models/acme/none`);
    assert.equal(none.status, 404);
    assert.equal(none.json.error.code, 'model_not_found');
  });

  it('answers chat completions with text, usage and finish_reason through the Qwen3 chat template', async () => {
    const r = await post(base, `${OAI}/chat/completions`, { model: 'Qwen/Qwen3-0.6B', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Tell me about the weather.' }], max_tokens: 24, seed: 3 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'chat.completion');
    const choice = r.json.choices[0];
    assert.equal(choice.message.role, 'assistant');
    assert.ok(typeof choice.message.content === 'string' && choice.message.content.trim().length > 0);
    assert.ok(['stop', 'length'].includes(choice.finish_reason));
    assert.ok(r.json.usage.prompt_tokens > 10);
    assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + r.json.usage.completion_tokens);
    assert.ok(!choice.message.content.includes('<|im_end|>'));
    const parts = await post(base, `${OAI}/chat/completions`, { model: 'Qwen/Qwen3-0.6B', messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me about ' }, { type: 'text', text: 'the weather.' }] }], max_tokens: 4, seed: 3 });
    assert.equal(parts.status, 200, parts.text);
    const plain = await post(base, `${OAI}/chat/completions`, { model: 'Qwen/Qwen3-0.6B', messages: [{ role: 'user', content: 'Tell me about the weather.' }], max_tokens: 4, seed: 3 });
    assert.equal(parts.json.usage.prompt_tokens, plain.json.usage.prompt_tokens, 'text parts render as their joined text');
    assert.equal(parts.json.choices[0].message.content, plain.json.choices[0].message.content);
  });

  it('answers text completions and leaves the stop sequence out of the text', async () => {
    const r = await post(base, `${OAI}/completions`, { model: 'Qwen/Qwen3-0.6B', prompt: 'The night train', max_tokens: 30, temperature: 0, stop: [' the'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'text_completion');
    assert.ok(!r.json.choices[0].text.includes(' the'));
  });

  it('answers in OpenAI error shape: stream=true 400, n!=1 400, missing field 400, unknown model 400', async () => {
    const stream = await post(base, `${OAI}/chat/completions`, { model: 'Qwen/Qwen3-0.6B', messages: [{ role: 'user', content: 'hi' }], stream: true });
    assert.equal(stream.status, 400);
    assert.deepEqual(Object.keys(stream.json.error).sort(), ['code', 'message', 'type']);
    assert.match(stream.json.error.message, /stream=true is not supported/);
    const n = await post(base, `${OAI}/completions`, { model: 'Qwen/Qwen3-0.6B', prompt: 'x', n: 2 });
    assert.equal(n.status, 400);
    assert.match(n.json.error.message, /n=2/);
    const missing = await post(base, `${OAI}/chat/completions`, { model: 'Qwen/Qwen3-0.6B' });
    assert.equal(missing.status, 400);
    assert.match(missing.json.error.message, /messages/);
    const unknown = await post(base, `${OAI}/completions`, { model: 'acme/none', prompt: 'x' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.type, 'invalid_request_error');
  });

  it('accepts a sampler checkpoint path as the model', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    await op(base, 'forward_backward', { model_id: id, seq_id: 1, forward_backward_input: { data: [datum([785, 5426, 374])], loss_fn: 'cross_entropy' } });
    const saved = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: 2, path: 'oai' });
    const r = await post(base, `${OAI}/completions`, { model: saved.path, prompt: 'Rain', max_tokens: 5 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, saved.path);
    const bad = await post(base, `${OAI}/completions`, { model: `mint://${id}/sampler_weights/missing`, prompt: 'Rain', max_tokens: 5 });
    assert.equal(bad.status, 404);
    assert.match(bad.json.error.message, /Checkpoint not found/);
  });
});
