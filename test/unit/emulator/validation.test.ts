/** The emulator's 422 items read as FastAPI/pydantic's do, for every kind of bound. */
import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { post, session, trainingModel, withEmulator } from './helpers';

describe('emulator: 422 items in pydantic terms for bounds', function () {
  let emu: Emulator;
  before(async () => {
    emu = await withEmulator();
  });
  after(() => emu.close());

  const only = (r: { status: number; json: any }) => {
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.equal(r.json.detail.length, 1, JSON.stringify(r.json.detail));
    return r.json.detail[0];
  };

  it('a number below an inclusive minimum: greater_than_equal with ge', async () => {
    const d = only(
      await post(emu.url, '/api/v1/create_model', {
        session_id: await session(emu.url),
        model_seq_id: 0,
        base_model: 'Qwen/Qwen3-0.6B',
        lora_config: { rank: 0 },
      }),
    );
    assert.deepEqual(
      [d.type, d.msg, d.ctx, d.loc],
      ['greater_than_equal', 'Input should be greater than or equal to 1', { ge: 1 }, ['body', 'lora_config', 'rank']],
    );
  });

  it('a number at an exclusive maximum: less_than with lt', async () => {
    const id = await trainingModel(emu.url, await session(emu.url));
    const d = only(await post(emu.url, '/api/v1/optim_step', { model_id: id, seq_id: 1, adam_params: { learning_rate: 1e-3, beta1: 1 } }));
    assert.deepEqual([d.type, d.msg, d.ctx], ['less_than', 'Input should be less than 1', { lt: 1 }]);
  });

  it('a number above an inclusive maximum, and a string below its minimum length', async () => {
    const big = only(await post(emu.url, '/_emulator/config', { latencyMs: 700_000 }));
    assert.deepEqual([big.type, big.msg, big.ctx], ['less_than_equal', 'Input should be less than or equal to 600000', { le: 600_000 }]);
    const empty = only(await post(emu.url, '/_emulator/config', { apiKey: '' }));
    assert.deepEqual(
      [empty.type, empty.msg, empty.ctx],
      ['string_too_short', 'String should have at least 1 character', { min_length: 1 }],
    );
  });
});
