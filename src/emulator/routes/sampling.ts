import { randomUUID } from 'node:crypto';
import { fastHash } from '../fastHash';
import { findModel, supportedNames } from '../catalog';
import type { EmulatorCore } from '../core';
import { FutureWorkError } from '../futures';
import { HttpError, detail, json, parseWith } from '../http';
import type { LanguageModel } from '../languageModel';
import { LoraAdapter } from '../lora';
import { parseCheckpointPath } from '../paths';
import { deriveSeed, seededRng } from '../rng';
import type { Router } from '../router';
import { generate, promptLogprobs, topkPromptLogprobs, type SamplingOptions } from '../sampler';
import { CreateSamplingSessionRequest, SampleRequest, type EncodedTextChunk, type ModelInput, type SamplingParams } from '../schemas';
import type { Checkpoint } from '../world';

/** A sampler checkpoint's adapter never changes, so one frozen copy (and its row cache) serves all. */
const frozenAdapters = new WeakMap<Checkpoint, LoraAdapter>();

export interface SamplerTarget {
  baseModel: string;
  adapter: LoraAdapter | undefined;
  modelPath: string | undefined;
}

export function requireBaseModel(name: string): void {
  // MinT's words (its supported-models gate), then the list a user needs to fix it.
  if (!findModel(name))
    throw detail(
      400,
      `Unsupported base_model: '${name}'. Not present in MODEL_CONFIGS and not gateway-routed. This server supports: ${supportedNames()}.`,
    );
}

/** What to sample from, given a base model name or a sampler checkpoint path. */
export function resolveSamplerTarget(
  core: EmulatorCore,
  sel: { baseModel?: string | null | undefined; modelPath?: string | null | undefined },
): SamplerTarget {
  if (sel.modelPath) {
    const p = parseCheckpointPath(sel.modelPath);
    if (!p) {
      throw detail(
        400,
        `Invalid model_path '${sel.modelPath}': expected mint://<training_run_id>/sampler_weights/<name> (tinker:// is accepted too).`,
      );
    }
    if (p.kind === 'weights') {
      throw detail(
        400,
        `model_path '${sel.modelPath}' is a training checkpoint (weights/), which holds optimizer state and cannot be sampled. ` +
          'Save a sampler checkpoint with save_weights_for_sampler and sample its sampler_weights/ path.',
      );
    }
    const run = core.world.runs.get(p.runId);
    const cp = run?.checkpoints.get(p.checkpointId);
    if (!run || !cp)
      throw detail(
        404,
        `Checkpoint not found: ${sel.modelPath}. List the run's checkpoints with GET /api/v1/training_runs/${p.runId}/checkpoints.`,
      );
    let adapter = frozenAdapters.get(cp);
    if (!adapter) frozenAdapters.set(cp, (adapter = LoraAdapter.fromState(cp.adapter, core.model, false)));
    return { baseModel: run.baseModel, adapter, modelPath: sel.modelPath };
  }
  if (sel.baseModel) {
    requireBaseModel(sel.baseModel);
    return { baseModel: sel.baseModel, adapter: undefined, modelPath: undefined };
  }
  throw detail(422, 'Give either base_model or model_path.');
}

export function promptTokens(model: LanguageModel, input: ModelInput): number[] {
  const tokens: number[] = [];
  for (const chunk of input.chunks) {
    if (chunk.type !== undefined && chunk.type !== 'encoded_text') {
      throw detail(400, `The emulator's model reads text tokens only: '${chunk.type}' chunks are not supported. Send encoded_text chunks.`);
    }
    for (const t of (chunk as EncodedTextChunk).tokens) {
      if (t < 0 || t >= model.vocabSize)
        throw detail(400, `Token id ${t} is outside the vocabulary (0..${model.vocabSize - 1}); tokenize with the model's tokenizer.`);
      tokens.push(t);
    }
  }
  return tokens;
}

export function checkContext(baseModel: string, promptLen: number, maxTokens: number): void {
  const limit = findModel(baseModel)?.max_context_length ?? Infinity;
  if (promptLen + maxTokens > limit) {
    throw detail(
      400,
      `Prompt length (${promptLen} tokens) plus max_tokens (${maxTokens}) is ${promptLen + maxTokens}, more than the maximum context length of ${baseModel} (${limit} tokens). Shorten the prompt or lower max_tokens.`,
    );
  }
}

export function samplingOptions(p: SamplingParams): SamplingOptions {
  const stop = p.stop == null ? [] : typeof p.stop === 'string' ? [p.stop] : p.stop;
  return {
    maxTokens: p.max_tokens,
    temperature: p.temperature,
    topP: p.top_p,
    topK: p.top_k,
    stopStrings: stop.filter((s): s is string => typeof s === 'string'),
    stopTokens: stop.filter((s): s is number => typeof s === 'number'),
  };
}

/**
 * MinT accepts these at POST and its engine refuses them once the sample runs, so they fail the
 * future rather than the request. The num_samples text is MinT's; the rest are vLLM's rules.
 */
function checkEngineParams(numSamples: number, p: SamplingParams): void {
  if (numSamples < 1) throw new FutureWorkError(`num_samples must be >= 1 (got ${numSamples})`);
  if (p.max_tokens < 1) throw new FutureWorkError(`max_tokens must be at least 1, got ${p.max_tokens}.`);
  if (p.temperature < 0) throw new FutureWorkError(`temperature must be non-negative, got ${p.temperature}.`);
  if (!(p.top_p > 0 && p.top_p <= 1)) throw new FutureWorkError(`top_p must be in (0, 1], got ${p.top_p}.`);
}

/** Sampling seq_ids dedupe retries: the same (session, seq_id) always maps to the same future. */
function deterministicRequestId(samplingSessionId: string, seqId: number): string {
  return 'sample_' + fastHash(`${samplingSessionId}:${seqId}`);
}

export function registerSampling(r: Router): void {
  r.add('POST', '/api/v1/create_sampling_session', (ctx) => {
    const body = parseWith(CreateSamplingSessionRequest, ctx.body);
    const target = resolveSamplerTarget(ctx.core, { baseModel: body.base_model, modelPath: body.model_path });
    const world = ctx.core.world;
    const id = body.sampling_session_seq_id != null ? `${body.session_id}:sample:${body.sampling_session_seq_id}` : randomUUID();
    const configKey = JSON.stringify([target.baseModel, target.modelPath ?? null]);
    const existing = world.samplers.get(id);
    if (existing && existing.configKey !== configKey) {
      throw detail(409, `Sampling session ${id} already exists with a different model; use a new sampling_session_seq_id.`);
    }
    if (!existing) {
      world.samplers.set(id, {
        id,
        sessionId: body.session_id,
        baseModel: target.baseModel,
        modelPath: target.modelPath,
        adapter: target.adapter,
        createdAt: new Date(),
        configKey,
      });
      world.sessions.get(body.session_id)?.samplerIds.push(id);
    }
    return json({ sampling_session_id: id, type: 'create_sampling_session' });
  });

  r.add('POST', '/api/v1/asample', (ctx) => {
    const body = parseWith(SampleRequest, ctx.body);
    const core = ctx.core;
    const sessionId = body.sampling_session_id || body.model_id || undefined;

    let target: SamplerTarget;
    if (sessionId) {
      const s = core.world.samplers.get(sessionId);
      if (!s) throw detail(404, `Unknown sampling session: ${sessionId}. Create one with create_sampling_session.`);
      target = { baseModel: s.baseModel, adapter: s.adapter, modelPath: s.modelPath };
    } else {
      target = resolveSamplerTarget(core, { baseModel: body.base_model, modelPath: body.model_path });
    }

    const model = core.model;
    const prompt = promptTokens(model, body.prompt);
    checkContext(target.baseModel, prompt.length, body.sampling_params.max_tokens);

    let requestId: string | undefined;
    let payloadKey: string | undefined;
    if (sessionId && body.seq_id != null) {
      requestId = deterministicRequestId(sessionId, body.seq_id);
      payloadKey = fastHash(JSON.stringify(body));
      const prior = core.futures.get(requestId);
      if (prior) {
        if (prior.payloadKey === payloadKey) return json({ request_id: requestId });
        throw detail(
          409,
          `seq_id ${body.seq_id} was already used in sampling session ${sessionId} for a different request; use the next seq_id.`,
        );
      }
    }

    const limit = core.config.samplingBackpressureLimit;
    if (ctx.headers['x-tinker-sampling-backpressure'] === '1' && core.futures.pendingOfKind('sample') >= limit) {
      throw new HttpError(429, { detail: 'Sampling backpressure: server overloaded' });
    }

    const opts = samplingOptions(body.sampling_params);
    const id = core.futures.create('sample', {
      id: requestId,
      fault: ctx.futureFault,
      expectedMs: core.config.latencyMs,
      maxTokens: Math.max(0, body.sampling_params.max_tokens) * Math.max(0, body.num_samples),
      ...(payloadKey ? { payloadKey } : {}),
      // MinT's pending replies name the sampling session and seq_id they wait on.
      meta: { ...(sessionId ? { samplingSessionId: sessionId } : {}), seqId: body.seq_id, baseModel: target.baseModel },
    });
    const wantPrompt = body.prompt_logprobs ?? body.include_prompt_logprobs ?? false;
    const seed = body.sampling_params.seed;
    core.futures.settleLater(id, core.config.latencyMs, async () => {
      checkEngineParams(body.num_samples, body.sampling_params);
      const sequences = [];
      for (let i = 0; i < body.num_samples; i++) {
        // Long multi-sample requests yield between sequences so other requests keep flowing.
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        // Unseeded samples need variety, not secrecy: Math.random avoids a crypto call per sample.
        const rng = seededRng(seed != null ? deriveSeed(seed, i) : Math.floor(Math.random() * 2 ** 32));
        sequences.push(generate(model, target.adapter, prompt, opts, rng, body.topk_sample_logprobs));
      }
      const result: Record<string, unknown> = { type: 'sample', sequences };
      if (wantPrompt) result['prompt_logprobs'] = promptLogprobs(model, target.adapter, prompt);
      if (body.topk_prompt_logprobs > 0)
        result['topk_prompt_logprobs'] = topkPromptLogprobs(model, target.adapter, prompt, body.topk_prompt_logprobs);
      return result;
    });
    return json({ request_id: id });
  });
}
