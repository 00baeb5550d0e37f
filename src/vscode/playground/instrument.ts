/**
 * The playground as an instrument, host side: score a given completion under a target, and
 * continue a sample from a chosen token (a branch). Both are native requests to the target's
 * sampler, prepared as a sample is (`prepareNative`); no vscode import, so plain Node tests can
 * drive them against the emulator.
 */
import type { ServiceClient } from '../../mint';
import type { Outcome, Sample, TokenView } from '../../shared/playground';
import type { OperationTracker } from '../operations';
import { toSamplingParams } from './convert';
import { prepareNative, scoreContinuation, withPieces, type TargetJob } from './sampler';

/** How many alternatives a scored completion lists per token. */
export const SCORE_TOPK = 5;

/**
 * The completion's per-token logprobs under one target: prompt + completion scored in one
 * request. The completion is tokenized as the model would have generated it (no special tokens
 * added), so a sample's own text scores to its own logprobs.
 */
export async function scoreCompletion(
  client: ServiceClient,
  tracker: OperationTracker,
  job: Omit<TargetJob, 'onQueue'>,
  completion: string,
): Promise<Outcome> {
  const { target } = job;
  const started = performance.now();
  const prep0 = await prepareNative(client, tracker, job, 1);
  if ('inline' in prep0) return prep0.inline;
  if ('text' in prep0) {
    return {
      target,
      status: 'failed',
      error: { kind: 'TokenizerUnavailable', message: `Scoring needs the model's tokenizer: ${prep0.text.problem}`, inline: true },
    };
  }
  const native = prep0.native;
  const ids = native.tok.encode(completion, { addSpecialTokens: false });
  if (native.max !== undefined && native.ids.length + ids.length + 1 > native.max) {
    return {
      target,
      status: 'failed',
      error: {
        kind: 'ContextLengthExceeded',
        message: `Prompt ${native.ids.length} + completion ${ids.length} tokens is over ${native.base}'s context length of ${native.max}.`,
        inline: true,
      },
    };
  }
  const scored = await scoreContinuation(native, tracker, ids, SCORE_TOPK);
  const values = scored.logprobs.filter((x): x is number => x !== null);
  const total = values.reduce((a, b) => a + b, 0);
  const tokens: TokenView = { ids, pieces: native.tok.pieces(ids), logprobs: scored.logprobs, topk: scored.topk };
  return {
    target,
    status: 'done',
    via: 'native',
    request_id: scored.request_id,
    latency_ms: performance.now() - started,
    prompt_tokens: native.ids.length,
    samples: [{ text: completion, stop_reason: 'scored', tokens, alts: 'scored', score_request_id: scored.request_id }],
    score: { total, mean: values.length ? total / values.length : 0, tokens: values.length },
  };
}

export interface BranchRequest {
  /** The tokens of what is branched from (a sample or a branch), generated part only. */
  parent: TokenView;
  /** Keep parent tokens [0, at), then put `token` where token `at` was. */
  at: number;
  token: { id: number } | { text: string };
}

/**
 * Continues generation from a chosen token: the prompt, the parent's tokens before `at`, the
 * chosen token (an id, or typed text tokenized with the target's tokenizer), then sampling. The
 * returned sample holds the whole branch (prefix kept as is) and `forced`, the ids put at `at`.
 */
export async function branchSample(
  client: ServiceClient,
  tracker: OperationTracker,
  job: Omit<TargetJob, 'onQueue'>,
  req: BranchRequest,
): Promise<{ sample: Sample; forced: [number, string]; count: number; request_id: string } | { error: string }> {
  const { params } = job;
  const at = Math.min(req.at, req.parent.ids.length);
  const prep = await prepareNative(client, tracker, job, at + 2);
  if ('inline' in prep) return { error: prep.inline.error?.message ?? 'This target cannot be sampled.' };
  if ('text' in prep) return { error: `Branching needs the model's tokenizer: ${prep.text.problem}` };
  const { tok, ids, sampler } = prep.native;
  const forced = 'id' in req.token ? [req.token.id] : tok.encode(req.token.text, { addSpecialTokens: false });
  if (!forced.length) return { error: 'The typed text has no tokens.' };
  const prefix = req.parent.ids.slice(0, at);
  const budget = Math.max(1, params.max_tokens - at - forced.length);
  const topkGen = params.topk_sample_logprobs ?? 0;
  const res = await sampler.sample(
    {
      prompt: { chunks: [{ type: 'encoded_text', tokens: [...ids, ...prefix, ...forced] }] },
      sampling_params: { ...toSamplingParams(params), max_tokens: budget },
      num_samples: 1,
      ...(topkGen > 0 ? { topk_sample_logprobs: topkGen } : {}),
    },
    { signal: tracker.signal, onRetryWait: tracker.onRetryWait },
  );
  tracker.requestId(res.request_id);
  const seq = res.sequences[0];
  if (!seq) return { error: 'The server returned no sequence.' };
  const all = [...prefix, ...forced, ...seq.tokens];
  // The forced token's logprob is what the parent's alternatives said about it, when they listed it.
  const alt = 'id' in req.token ? req.parent.topk?.[at]?.find(([id]) => id === forced[0]) : undefined;
  const logprobs: Array<number | null> | undefined = req.parent.logprobs
    ? [
        ...req.parent.logprobs.slice(0, at),
        ...forced.map((_, i) => (i === 0 && alt ? alt[2] : null)),
        ...(seq.logprobs ?? seq.tokens.map(() => null)),
      ]
    : undefined;
  const tokens: TokenView = { ids: all, pieces: tok.pieces(all), ...(logprobs ? { logprobs } : {}) };
  const tail = seq.topk_logprobs && seq.topk_logprobs.length === seq.tokens.length ? withPieces(tok, seq.topk_logprobs) : undefined;
  if (req.parent.topk || tail) {
    tokens.topk = [
      ...(req.parent.topk?.slice(0, at) ?? prefix.map(() => null)),
      ...forced.map(() => null),
      ...(tail ?? seq.tokens.map(() => null)),
    ];
  }
  const sample: Sample = { text: tok.decode(all, { skipSpecialTokens: true }), stop_reason: seq.stop_reason, tokens };
  return { sample, forced: [forced[0]!, tok.decode(forced)], count: forced.length, request_id: res.request_id };
}
