/**
 * One column of a run: turn the form's prompt into what the server takes, send it, and turn the
 * answer into what the token view shows. Native sampling when a tokenizer exists (token ids in,
 * token ids and logprobs out); otherwise text mode through the OpenAI-compatible endpoint.
 *
 * Server failures are thrown (the caller hands them to the one presenter); problems the user can
 * fix in the form (path, context length) come back as an inline failed outcome, with no request.
 */
import type { QueueStateEvent, RetryWaitEvent, SamplingClient, ServiceClient } from '../../mint';
import type { MintTokenizer } from '../../mint/tokenizer';
import {
  checkpointPathProblem,
  targetLabel,
  type CheckpointInfo,
  type ModelInfo,
  type Outcome,
  type Params,
  type Prompt,
  type QueueInfo,
  type Sample,
  type Target,
  type TokenView,
} from '../../shared/playground';
import type { OperationTracker } from '../operations';
import { retryWaitWords } from '../queueBadge';
import { toQueueInfo, toSamplingParams } from './convert';
import type { PlaygroundTokenizers } from './tokenizers';

export interface TargetJob {
  target: Target;
  prompt: Prompt;
  params: Params;
  models: readonly ModelInfo[];
  checkpoints: readonly CheckpointInfo[];
  tokenizers: Pick<PlaygroundTokenizers, 'get'>;
  onQueue(q: QueueInfo): void;
}

/** Sampling sessions are per (client, target): reuse them, the server keeps them ~30 minutes. */
const samplers = new WeakMap<ServiceClient, Map<string, Promise<SamplingClient>>>();
const baseModels = new Map<string, string>();

/**
 * Measures the waiting inside one call: the client's retry waits (as it announced them) and the
 * time the server said the request was queued. What remains of the latency is generation, so
 * tok/s is not diluted by a rate limit. Every wait is also shown while it lasts (card and status bar).
 */
class WaitClock {
  waitedMs = 0;
  private queuedSince: number | undefined;

  constructor(
    private readonly tracker: OperationTracker,
    private readonly onQueue: (q: QueueInfo) => void,
  ) {}

  readonly onRetryWait = (e: RetryWaitEvent): void => {
    this.endQueued();
    this.waitedMs += e.delayMs;
    this.tracker.onRetryWait(e);
    this.onQueue({ queue_state: 'waiting', retry_in_ms: Math.round(e.delayMs), retry_reason: retryWaitWords(e.reason) });
  };

  readonly onQueueState = (e: QueueStateEvent): void => {
    const queued = (e.stage ?? e.status) === 'queued';
    if (!queued) this.endQueued();
    else this.queuedSince ??= performance.now();
    this.tracker.onQueueState(e);
    this.onQueue(toQueueInfo(e));
  };

  /** Ends the clock; returns the waited part of the call, in ms. */
  stop(): number {
    this.endQueued();
    return this.waitedMs;
  }

  private endQueued(): void {
    if (this.queuedSince === undefined) return;
    this.waitedMs += performance.now() - this.queuedSince;
    this.queuedSince = undefined;
  }
}

function samplerFor(client: ServiceClient, target: Target, tracker: OperationTracker): Promise<SamplingClient> {
  let byTarget = samplers.get(client);
  if (!byTarget) samplers.set(client, (byTarget = new Map()));
  const key = JSON.stringify(target);
  let p = byTarget.get(key);
  if (!p) {
    p = client.createSamplingClient('base_model' in target ? { base_model: target.base_model } : { model_path: target.model_path }, {
      signal: tracker.signal,
      onRetryWait: tracker.onRetryWait,
    });
    byTarget.set(key, p);
    const map = byTarget;
    p.catch(() => map.delete(key));
  }
  return p;
}

/** A checkpoint samples with its base model's tokenizer and context length. */
export async function baseModelOf(
  client: ServiceClient | undefined,
  target: Target,
  checkpoints: readonly CheckpointInfo[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  if ('base_model' in target) return target.base_model;
  const known = checkpoints.find((c) => c.path === target.model_path)?.base_model ?? baseModels.get(target.model_path);
  if (known || !client) return known;
  const { parseCheckpointPath } = await import('../../mint/paths');
  const run = await client.createRestClient().getTrainingRun(parseCheckpointPath(target.model_path).training_run_id, { signal });
  baseModels.set(target.model_path, run.base_model);
  return run.base_model;
}

export function promptTokens(tok: MintTokenizer, prompt: Prompt): number[] {
  if (prompt.mode === 'raw') return tok.encode(prompt.text);
  const last = prompt.messages[prompt.messages.length - 1];
  // A trailing assistant message is a prefill: the model continues it instead of starting a new turn.
  const text = tok.renderChat(prompt.messages, {
    addGenerationPrompt: last?.role !== 'assistant',
    ...(prompt.enable_thinking !== undefined ? { enableThinking: prompt.enable_thinking } : {}),
  });
  return tok.encode(last?.role === 'assistant' ? text.replace(/<\|im_end\|>\n?$/, '') : text, { addSpecialTokens: false });
}

function inline(target: Target, kind: string, message: string): Outcome {
  return { target, status: 'failed', error: { kind, message, inline: true } };
}

function view(tok: MintTokenizer, ids: number[], logprobs?: ReadonlyArray<number | null> | null): TokenView {
  const v: TokenView = { ids, pieces: tok.pieces(ids) };
  // A logprob list that does not line up with the tokens would colour the wrong tokens: drop it.
  if (logprobs && logprobs.length === ids.length) v.logprobs = [...logprobs];
  return v;
}

/** What a native request to one target needs: its tokenizer, the prompt as ids, its sampler, its context. */
export interface NativeTarget {
  tok: MintTokenizer;
  base: string;
  ids: number[];
  max: number | undefined;
  sampler: SamplingClient;
}

/**
 * Resolves a target for native requests (sampling, scoring, branching): an inline failure the
 * user can fix in the form, text mode when there is no tokenizer, else the prepared target.
 * `extra` is how many tokens beyond the prompt the request needs, for the context check.
 */
export async function prepareNative(
  client: ServiceClient,
  tracker: OperationTracker,
  job: Omit<TargetJob, 'onQueue'>,
  extra: number,
): Promise<{ native: NativeTarget } | { inline: Outcome } | { text: { base: string | undefined; problem: string } }> {
  const { target, prompt } = job;
  if ('model_path' in target) {
    const problem = checkpointPathProblem(target.model_path);
    if (problem) return { inline: inline(target, 'CheckpointPathError', problem) };
  }
  let base: string | undefined;
  try {
    base = await baseModelOf(client, target, job.checkpoints, tracker.signal);
  } catch (e) {
    if ((e as Error).name === 'CheckpointPathError') return { inline: inline(target, 'CheckpointPathError', (e as Error).message) };
    throw e;
  }
  const lookup = base
    ? await job.tokenizers.get(base, tracker.signal)
    : { problem: `The base model of ${targetLabel(target)} is unknown.` };
  if (!lookup.tokenizer || !base) return { text: { base, problem: lookup.problem ?? 'No tokenizer.' } };
  const tok = lookup.tokenizer;
  const ids = promptTokens(tok, prompt);
  const max = job.models.find((m) => m.model_name === base)?.max_context_length;
  if (max !== undefined && ids.length + extra > max) {
    return {
      inline: inline(
        target,
        'ContextLengthExceeded',
        `The prompt is ${ids.length} tokens; with ${extra} more that is ${ids.length + extra}, over ${base}'s context length of ${max}. Shorten the prompt or lower Max tokens.`,
      ),
    };
  }
  return { native: { tok, base, ids, max, sampler: await samplerFor(client, target, tracker) } };
}

/** A server's [id, logprob] rows as the page's [id, piece, logprob], one decode per distinct id. */
export function withPieces(tok: MintTokenizer, rows: ReadonlyArray<ReadonlyArray<readonly [number, number]> | null>): TokenView['topk'] {
  const pieces = new Map<number, string>();
  const piece = (id: number): string => {
    let p = pieces.get(id);
    if (p === undefined) pieces.set(id, (p = tok.decode([id])));
    return p;
  };
  return rows.map((row) => (row ? row.map(([id, lp]) => [id, piece(id), lp] as [number, string, number]) : null));
}

export async function sampleTarget(client: ServiceClient, tracker: OperationTracker, job: TargetJob): Promise<Outcome> {
  const { target, params } = job;
  const prep = await prepareNative(client, tracker, job, params.max_tokens);
  if ('inline' in prep) return prep.inline;
  if ('text' in prep) return sampleAsText(client, tracker, job, prep.text.base, prep.text.problem);
  const { tok, ids, sampler } = prep.native;
  const topkGen = params.topk_sample_logprobs ?? 0;
  const clock = new WaitClock(tracker, job.onQueue);
  const started = performance.now();
  const res = await sampler.sample(
    {
      prompt: { chunks: [{ type: 'encoded_text', tokens: ids }] },
      sampling_params: toSamplingParams(params),
      num_samples: params.num_samples,
      prompt_logprobs: params.prompt_logprobs,
      topk_prompt_logprobs: params.topk_prompt_logprobs,
      ...(topkGen > 0 ? { topk_sample_logprobs: topkGen } : {}),
    },
    { signal: tracker.signal, onQueueState: clock.onQueueState, onRetryWait: clock.onRetryWait },
  );
  const latency = performance.now() - started;
  const waited = clock.stop();
  tracker.requestId(res.request_id);
  const samples: Sample[] = res.sequences.map((seq) => {
    const sample: Sample = {
      text: tok.decode(seq.tokens, { skipSpecialTokens: true }),
      stop_reason: seq.stop_reason,
      tokens: view(tok, seq.tokens, seq.logprobs),
    };
    if (topkGen > 0 && seq.topk_logprobs && seq.topk_logprobs.length === seq.tokens.length) {
      sample.tokens!.topk = withPieces(tok, seq.topk_logprobs);
      sample.alts = 'server';
    }
    return sample;
  });
  // A server without generated-token top-k (MinT): one scoring request per sample, up to AUTO_SCORE of them; the rest on demand.
  if (topkGen > 0) {
    await Promise.all(
      samples
        .filter((s) => !s.alts)
        .slice(0, AUTO_SCORE)
        .map((s) => addAlternatives(prep.native, tracker, s, topkGen)),
    );
  }
  const outcome: Outcome = {
    target,
    status: 'done',
    via: 'native',
    request_id: res.request_id,
    latency_ms: latency,
    ...(waited > 0 ? { wait_ms: Math.min(waited, latency) } : {}),
    prompt_tokens: ids.length,
    samples,
  };
  if (params.prompt_logprobs || params.topk_prompt_logprobs > 0) {
    const pv = view(tok, ids, res.prompt_logprobs);
    const topk = res.topk_prompt_logprobs;
    if (topk && topk.length === ids.length) pv.topk = withPieces(tok, topk);
    outcome.prompt = pv;
  }
  return outcome;
}

/** How many samples of one run get their alternatives scored right away when the server has no generated-token top-k. */
const AUTO_SCORE = 8;

/**
 * Scores `continuation` after `prompt` in one request: MinT's sampler with prompt logprobs and
 * top-k prompt logprobs over prompt + continuation, max_tokens 1 (MinT requires at least 1). The
 * values at the continuation's positions are that continuation's per-token logprobs and alternatives.
 */
export async function scoreContinuation(
  native: NativeTarget,
  tracker: OperationTracker,
  continuation: readonly number[],
  k: number,
): Promise<{ logprobs: Array<number | null>; topk: TokenView['topk']; request_id: string }> {
  const all = [...native.ids, ...continuation];
  const res = await native.sampler.sample(
    {
      prompt: { chunks: [{ type: 'encoded_text', tokens: all }] },
      sampling_params: { max_tokens: 1, temperature: 0 },
      num_samples: 1,
      prompt_logprobs: true,
      topk_prompt_logprobs: k,
    },
    { signal: tracker.signal, onRetryWait: tracker.onRetryWait },
  );
  tracker.requestId(res.request_id);
  const from = native.ids.length;
  const lps = res.prompt_logprobs ?? [];
  const rows = res.topk_prompt_logprobs ?? [];
  return {
    logprobs: continuation.map((_, i) => lps[from + i] ?? null),
    topk: withPieces(
      native.tok,
      continuation.map((_, i) => rows[from + i] ?? null),
    ),
    request_id: res.request_id,
  };
}

/** A sample's generated tokens get their top-k alternatives (and their own logprob, if missing) from one scoring request. */
export async function addAlternatives(native: NativeTarget, tracker: OperationTracker, sample: Sample, k: number): Promise<void> {
  const tokens = sample.tokens;
  if (!tokens?.ids.length) return;
  const scored = await scoreContinuation(native, tracker, tokens.ids, k);
  tokens.topk = scored.topk;
  tokens.logprobs ??= scored.logprobs;
  sample.alts = 'scored';
  sample.score_request_id = scored.request_id;
}

/** Text-mode requests of one fan-out in flight at once. */
const TEXT_CONCURRENCY = 4;

/** No tokenizer: the server tokenizes (and applies the chat template) through /oai/api/v1. */
async function sampleAsText(
  client: ServiceClient,
  tracker: OperationTracker,
  job: TargetJob,
  base: string | undefined,
  why: string,
): Promise<Outcome> {
  const { target, prompt, params } = job;
  const oai = client.createOpenAIClient();
  const model = 'base_model' in target ? target.base_model : target.model_path;
  // MinT's OpenAI-compatible routes refuse fields they do not know (422): they take no top_k and no seed.
  const { top_k: _noTopK, seed, ...sampling } = toSamplingParams(params);
  const common = { model, ...sampling };
  const clock = new WaitClock(tracker, job.onQueue);
  const call = { signal: tracker.signal, onRetryWait: clock.onRetryWait };
  const started = performance.now();
  const samples: Sample[] = new Array<Sample>(params.num_samples);
  const ids: Array<string | undefined> = [];
  const one = async (i: number): Promise<void> => {
    if (prompt.mode === 'chat') {
      const r = await oai.chatCompletions(
        { ...common, messages: prompt.messages.map((m) => ({ role: m.role, content: m.content })) },
        call,
      );
      const c = r.choices[0];
      samples[i] = { text: typeof c?.message.content === 'string' ? c.message.content : '', stop_reason: c?.finish_reason ?? 'unknown' };
      ids[i] = r.id;
    } else {
      const r = await oai.completions({ ...common, prompt: prompt.text }, call);
      const c = r.choices[0];
      samples[i] = { text: c?.text ?? '', stop_reason: c?.finish_reason ?? 'unknown' };
      ids[i] = r.id;
    }
  };
  // The endpoint refuses n > 1, so several samples are several requests: a fan-out sends
  // TEXT_CONCURRENCY at a time (64 one after another would take 64 round trips).
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(TEXT_CONCURRENCY, params.num_samples) }, async () => {
      while (next < params.num_samples) await one(next++);
    }),
  );
  const id = ids.find((x) => x !== undefined);
  tracker.requestId(id);
  const latency = performance.now() - started;
  const waited = clock.stop();
  return {
    target,
    status: 'done',
    via: 'openai',
    ...(id ? { request_id: id } : {}),
    latency_ms: latency,
    ...(waited > 0 ? { wait_ms: Math.min(waited, latency) } : {}),
    samples,
    note:
      `Text mode: no tokenizer for ${base ?? model} (${why}) — sampled through the OpenAI-compatible endpoint, which returns no token ids or logprobs.` +
      (seed !== undefined ? ' The seed was not applied: that endpoint takes none.' : ''),
  };
}
