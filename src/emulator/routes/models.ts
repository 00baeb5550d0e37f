import { z } from 'zod';
import { detail, json, parseWith } from '../http';
import type { LanguageModel } from '../languageModel';
import type { Router } from '../router';
import { failPendingOps, submitTrainingOp } from '../trainingQueue';
import type { LiveModel } from '../world';
import { liveRuns, modelSeqOf, naiveIso } from './rest';

/** MinT's routes over live training models (`/api/v1/models...`), beside the Tinker listings. */

function lastActivity(m: LiveModel): number {
  return m.run.lastRequestTime.getTime() / 1000;
}

function modelSummary(m: LiveModel) {
  return {
    model_id: m.id,
    session_id: m.sessionId,
    model_seq_id: modelSeqOf(m),
    base_model: m.run.baseModel,
    created_at: naiveIso(m.run.createdAt),
    current_step: m.adapter.step,
    is_active: true,
    last_activity: lastActivity(m),
    idle_for_s: Math.max(0, Date.now() / 1000 - lastActivity(m)),
    backend: 'emulator',
  };
}

let tokenizerInfo: Record<string, unknown> | undefined;

/** What a Hugging Face tokenizer reports of itself; `vocab_size` excludes the added tokens, as HF's does. */
function describeTokenizer(lm: LanguageModel): Record<string, unknown> {
  if (tokenizerInfo) return tokenizerInfo;
  const cfg = lm.tok.config;
  const tok = lm.tok.tokenizer;
  const special = (key: string) => {
    const v = cfg[key];
    const text =
      typeof v === 'string'
        ? v
        : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
          ? (v as { content: string }).content
          : null;
    return { [key]: text, [`${key}_id`]: text === null ? null : (tok.token_to_id(text) ?? null) };
  };
  const decoder: unknown = tok.get_added_tokens_decoder();
  const added = (decoder instanceof Map ? [...decoder.keys()] : Object.keys(decoder as object)).map(Number);
  tokenizerInfo = {
    vocab_size: added.length > 0 ? Math.min(...added) : lm.vocabSize,
    model_max_length: typeof cfg['model_max_length'] === 'number' ? cfg['model_max_length'] : null,
    ...special('pad_token'),
    ...special('eos_token'),
    ...special('bos_token'),
    ...special('unk_token'),
  };
  return tokenizerInfo;
}

const ModelIdBody = z.object({ model_id: z.string() });

export function registerModels(r: Router): void {
  // MinT sorts this one by id, not by age.
  r.add('GET', '/api/v1/models', (ctx) => {
    const models = liveRuns(ctx.core).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return json({ models: models.map(modelSummary), total: models.length });
  });

  r.add('GET', /^\/api\/v1\/models\/([^/]+)$/, (ctx) => {
    const m = ctx.core.world.models.get(ctx.params[0]!);
    if (!m) throw detail(404, `Model '${ctx.params[0]}' not found`);
    const run = m.run;
    return json({
      ...modelSummary(m),
      lora_config: run.isLora
        ? { rank: run.rank, seed: run.seed, train_mlp: run.trainMlp, train_attn: run.trainAttn, train_unembed: run.trainUnembed }
        : null,
      user_metadata: run.userMetadata ?? {},
      learning_rate: 1e-4,
      user_id: null,
    });
  });

  r.add('GET', /^\/api\/v1\/models\/([^/]+)\/tokenizer$/, (ctx) => {
    const m = ctx.core.world.models.get(ctx.params[0]!);
    if (!m) throw detail(404, `Model '${ctx.params[0]}' not found`);
    return json({ model_id: m.id, tokenizer: describeTokenizer(ctx.core.model) });
  });

  // MinT queues the delete behind the model's earlier ops and answers once it has run; the run
  // then leaves the listings, and its saved checkpoints stay.
  r.add('DELETE', /^\/api\/v1\/models\/([^/]+)$/, async (ctx) => {
    const id = ctx.params[0]!;
    const core = ctx.core;
    const m = core.world.models.get(id);
    if (!m) throw detail(404, `Model '${id}' not found`);
    const op = submitTrainingOp(core, m, 'delete_model', null, undefined, () => {
      if (core.world.models.get(id) === m) {
        core.world.models.delete(id);
        failPendingOps(core, m, `Model '${id}' not found`);
      }
      return { model_id: id, status: 'deleted' };
    });
    let clientGone = false;
    ctx.onClose(() => (clientGone = true));
    // Until the delete ran, the client left, or a reset/close forgot the future.
    for (let rec = core.futures.get(op); rec && !rec.done && !clientGone; rec = core.futures.get(op)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (core.world.models.get(id) === m) throw detail(500, `Deleting model '${id}' did not finish: the model was stopped first.`);
    return json({ model_id: id, status: 'deleted' });
  });

  // Every emulator model is dense, so there is no expert bias to reset: MinT's answer for that.
  r.add('POST', '/api/v1/reset_expert_bias', (ctx) => {
    const body = parseWith(ModelIdBody, ctx.body);
    if (!ctx.core.world.models.has(body.model_id)) throw detail(404, `Model '${body.model_id}' not found`);
    return json({ model_id: body.model_id, modules_reset: 0, status: 'not_applicable' });
  });

  // MinT stores an uploaded .tar.gz for load_state as a `ckpt_<hex>` id; the emulator cannot read
  // real adapters (safetensors), so it says so instead of pretending.
  r.add('POST', '/api/v1/checkpoints/upload', () => {
    throw detail(
      501,
      'Checkpoint upload is not implemented by the MinT emulator: it cannot load real adapter weights. ' +
        'Save and load checkpoints through save_state/load_state, or use a MinT server for uploads.',
    );
  });
}
