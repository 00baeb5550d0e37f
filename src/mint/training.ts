/**
 * A LoRA training run. MinT runs a model's operations first come, first served by ARRIVAL (it
 * never waits on a seq_id gap), so an op's POST is sent only after the previous POST's HTTP
 * reply (not its result) has arrived: call order is arrival order. Results are then awaited
 * concurrently, so a caller may queue forward_backward + optim_step without waiting.
 *
 * MinT does not deduplicate training POSTs, so every mutating op here is sent `exactlyOnce`
 * (exactlyOnce.ts): a dropped reply raises an error marked `mayHaveBeenApplied` rather than
 * being resent. The seq_id of a failed POST is spent, never reused (MinT ignores gaps), and the
 * turn passes on, so the client stays usable.
 */
import { CheckpointNotResumableError, isMissingRoute, APIStatusError, TinkerError } from './errors';
import { awaitFuture, type QueueStateEvent } from './futures';
import { parseCheckpointPath } from './paths';
import {
  ForwardBackwardOutputSchema,
  GetInfoResponseSchema,
  LoadWeightsResponseSchema,
  OptimStepResponseSchema,
  SaveWeightsForSamplerResponseSchema,
  SaveWeightsResponseSchema,
  UntypedFutureSchema,
  type AdamParams,
  type Datum as DatumShape,
  type ForwardBackwardOutput,
  type GetInfoResponse,
  type LoadWeightsResponse,
  type OptimStepResponse,
  type SaveWeightsResponse,
  type TensorData,
} from './schemas';
import { ModelInput, SamplingClient } from './sampling';
import { contextOf, throwIfCancelled, type CallContext, type CallOptions, type Transport } from './transport';
import type { z } from 'zod';

export type LossFn = 'cross_entropy' | 'importance_sampling' | 'ppo' | 'cispo' | 'dro';
export type Datum = DatumShape;

export interface TrainingCallOptions extends CallOptions {
  onQueueState?: ((e: QueueStateEvent) => void) | undefined;
}

/** What a training client needs from its ServiceClient's session. */
export interface SessionHandle {
  readonly session_id: string;
  nextSamplingSeqId(): number;
  samplingClientForPath(model_path: string, opts?: CallOptions): Promise<SamplingClient>;
}

const INT_KEYS = new Set(['target_tokens']);
/** The Tinker SDK's chunk limits: MinT accepts the same. */
export const MAX_CHUNK_DATUMS = 1024;
export const MAX_CHUNK_BYTES = 5_000_000;

function tensor(key: string, v: readonly number[] | TensorData): TensorData {
  if (!Array.isArray(v)) {
    const t = v as TensorData;
    return t.shape ? t : { ...t, shape: [t.data.length] };
  }
  return { data: [...v], dtype: INT_KEYS.has(key) ? 'int64' : 'float32', shape: [v.length] };
}

export const Datum = {
  /**
   * A datum from plain lists: dtype inferred from the key (target_tokens is int64, the rest
   * float32), `shape` always set, and `weights` of ones added when missing, because MinT
   * rejects a datum without weights (422) and a TensorData without shape.
   */
  from(input: { model_input: ModelInput | readonly number[]; loss_fn_inputs: Record<string, readonly number[] | TensorData> }): Datum {
    const model_input = Array.isArray(input.model_input)
      ? ModelInput.fromInts(input.model_input as readonly number[])
      : (input.model_input as ModelInput);
    const loss_fn_inputs: Record<string, TensorData> = {};
    for (const [k, v] of Object.entries(input.loss_fn_inputs)) loss_fn_inputs[k] = tensor(k, v);
    if (!loss_fn_inputs.weights) {
      const n = loss_fn_inputs.target_tokens?.data.length ?? ModelInput.length(model_input);
      loss_fn_inputs.weights = { data: new Array<number>(n).fill(1), dtype: 'float32', shape: [n] };
    }
    return { model_input, loss_fn_inputs };
  },
};

function estimateBytes(d: Datum): number {
  let n = ModelInput.length(d.model_input);
  for (const t of Object.values(d.loss_fn_inputs)) n += t.data.length;
  return n * 10;
}

export function chunkData(data: readonly Datum[]): Datum[][] {
  const chunks: Datum[][] = [];
  let cur: Datum[] = [];
  let bytes = 0;
  for (const d of data) {
    const b = estimateBytes(d);
    if (cur.length > 0 && (cur.length >= MAX_CHUNK_DATUMS || bytes + b > MAX_CHUNK_BYTES)) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(d);
    bytes += b;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/**
 * Merges per-chunk metrics by the reduction in each key's suffix (`loss:mean`, `tokens:sum`):
 * means are weighted by each chunk's datum count, as the Tinker SDK does.
 */
export function mergeMetrics(parts: readonly { metrics: Record<string, number>; weight: number }[]): Record<string, number> {
  if (parts.length === 1) return { ...parts[0]!.metrics };
  const out: Record<string, number> = {};
  const keys = new Set(parts.flatMap((p) => Object.keys(p.metrics)));
  for (const key of keys) {
    const present = parts.filter((p) => key in p.metrics);
    const vals = present.map((p) => p.metrics[key]!);
    const reduction = key.includes(':') ? key.slice(key.lastIndexOf(':') + 1) : 'mean';
    switch (reduction) {
      case 'sum':
      case 'hash_unordered':
        out[key] = vals.reduce((a, b) => a + b, 0);
        break;
      case 'min':
        out[key] = Math.min(...vals);
        break;
      case 'max':
        out[key] = Math.max(...vals);
        break;
      case 'unique':
        out[key] = vals[0]!;
        break;
      default: {
        const w = present.reduce((a, p) => a + p.weight, 0);
        out[key] = w > 0 ? present.reduce((a, p) => a + p.metrics[key]! * p.weight, 0) / w : vals[0]!;
      }
    }
  }
  return out;
}

export type ForwardBackwardResult = ForwardBackwardOutput & { request_ids: string[] };

function isSamplerCheckpoint(path: string): boolean {
  try {
    return parseCheckpointPath(path).kind === 'sampler_weights';
  } catch {
    return /\/sampler_weights\//.test(path);
  }
}

export class TrainingClient {
  private nextSeq = 1;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    readonly model_id: string,
    private readonly session: SessionHandle,
  ) {}

  /**
   * Takes its turn now, in call order, and runs `send` once the previous POST has its HTTP reply.
   * The seq_id is drawn only when the turn comes, so an op cancelled while it waited spends none.
   */
  private async inTurn(send: (seq_id: number) => Promise<string>, ctx: CallContext): Promise<string> {
    const prev = this.turn;
    let release!: () => void;
    this.turn = new Promise<void>((r) => (release = r));
    try {
      await prev;
      throwIfCancelled(ctx);
      return await send(this.nextSeq++);
    } finally {
      release();
    }
  }

  /** One POST of a training op; `mutating` ops are never resent once the server may have them. */
  private async post(path: string, body: object, ctx: CallContext, mutating: boolean): Promise<string> {
    const { data } = await this.transport.request(
      {
        method: 'POST',
        path,
        body,
        schema: UntypedFutureSchema,
        exactlyOnce: mutating ? path.slice(path.lastIndexOf('/') + 1) : undefined,
      },
      ctx,
    );
    return data.request_id;
  }

  private async op<S extends z.ZodType>(
    path: string,
    requestType: string,
    body: (seq_id: number) => object,
    schema: S,
    opts: TrainingCallOptions | undefined,
  ): Promise<{ data: z.infer<S>; request_id: string }> {
    const ctx = contextOf(opts);
    const rid = await this.inTurn((seq_id) => this.post(path, body(seq_id), ctx, true), ctx);
    return awaitFuture(this.transport, rid, schema, ctx, { requestType, onQueueState: opts?.onQueueState });
  }

  private async fwd(
    kind: 'forward' | 'forward_backward',
    data: readonly Datum[],
    loss_fn: LossFn,
    loss_fn_config: Record<string, number> | undefined,
    opts: TrainingCallOptions | undefined,
  ): Promise<ForwardBackwardResult> {
    if (data.length === 0) throw new TypeError(`${kind} needs at least one datum.`);
    const ctx = contextOf(opts);
    const inputKey = kind === 'forward' ? 'forward_input' : 'forward_backward_input';
    const requestType = kind === 'forward' ? 'Forward' : 'ForwardBackward';
    const chunks = chunkData(data);
    const mutating = kind === 'forward_backward';
    // Once a chunk's POST failed the call has failed: later chunks stay unsent rather than add a
    // partial gradient nobody will see the result of.
    let failed = false;
    // All turns are taken synchronously so no other op can slip between the chunks.
    const posts = chunks.map((chunk, i) =>
      this.inTurn(async (seq_id) => {
        if (failed) throw new TinkerError(`${kind} chunk ${i + 1} of ${chunks.length} was not sent: an earlier chunk failed.`);
        try {
          return await this.post(
            `api/v1/${kind}`,
            { [inputKey]: { data: chunk, loss_fn, ...(loss_fn_config ? { loss_fn_config } : {}) }, model_id: this.model_id, seq_id },
            ctx,
            mutating,
          );
        } catch (err) {
          failed = true;
          throw err;
        }
      }, ctx),
    );
    const results = await Promise.all(
      posts.map(async (p) => {
        const rid = await p;
        return awaitFuture(this.transport, rid, ForwardBackwardOutputSchema, ctx, {
          requestType,
          onQueueState: opts?.onQueueState,
        });
      }),
    );
    return {
      loss_fn_output_type: results[0]!.data.loss_fn_output_type,
      loss_fn_outputs: results.flatMap((r) => r.data.loss_fn_outputs),
      metrics: mergeMetrics(results.map((r, i) => ({ metrics: r.data.metrics, weight: chunks[i]!.length }))),
      request_ids: results.map((r) => r.request_id),
    };
  }

  forwardBackward(
    data: readonly Datum[],
    loss_fn: LossFn,
    loss_fn_config?: Record<string, number>,
    opts?: TrainingCallOptions,
  ): Promise<ForwardBackwardResult> {
    return this.fwd('forward_backward', data, loss_fn, loss_fn_config, opts);
  }

  /** Loss and logprobs without gradients. */
  forward(
    data: readonly Datum[],
    loss_fn: LossFn,
    loss_fn_config?: Record<string, number>,
    opts?: TrainingCallOptions,
  ): Promise<ForwardBackwardResult> {
    return this.fwd('forward', data, loss_fn, loss_fn_config, opts);
  }

  async optimStep(adam_params: AdamParams, opts?: TrainingCallOptions): Promise<OptimStepResponse & { request_id: string }> {
    const adam = { beta1: 0.9, beta2: 0.95, eps: 1e-12, ...adam_params };
    const r = await this.op(
      'api/v1/optim_step',
      'OptimStep',
      (seq_id) => ({ adam_params: adam, model_id: this.model_id, seq_id, type: 'optim_step' }),
      OptimStepResponseSchema,
      opts,
    );
    return { ...r.data, request_id: r.request_id };
  }

  /**
   * Saves weights + optimizer state to resume training later (a `weights/` path). MinT's own
   * route for that is /save_state; its /save_weights may write a sampler checkpoint instead, so
   * /save_weights is used only where /save_state does not exist (older MinT, Tinker), and a
   * sampler path coming back is an error rather than a checkpoint that cannot resume.
   */
  async saveState(name: string, opts?: TrainingCallOptions): Promise<SaveWeightsResponse & { request_id: string }> {
    const ctx = contextOf(opts);
    const transport = this.transport;
    const body = (seq_id: number, type: string) => ({ model_id: this.model_id, path: name, seq_id, type });
    const rid = await this.inTurn(async (seq_id) => {
      if (!transport.missingRoutes.has('save_state')) {
        try {
          return await this.post('api/v1/save_state', body(seq_id, 'save_state'), ctx, true);
        } catch (err) {
          // A missing route is a refusal: nothing ran, so the older route is safe to try.
          if (!(isMissingRoute(err) || (err instanceof APIStatusError && (err.status === 405 || err.status === 501)))) throw err;
          transport.missingRoutes.add('save_state');
        }
      }
      return this.post('api/v1/save_weights', body(seq_id, 'save_weights'), ctx, true);
    }, ctx);
    const r = await awaitFuture(transport, rid, SaveWeightsResponseSchema, ctx, {
      requestType: 'SaveWeights',
      onQueueState: opts?.onQueueState,
    });
    if (isSamplerCheckpoint(r.data.path)) throw new CheckpointNotResumableError(r.data.path);
    return { ...r.data, request_id: r.request_id };
  }

  /** Saves weights for sampling (a `sampler_weights/` path). */
  async saveWeightsForSampler(name: string, opts?: TrainingCallOptions): Promise<SaveWeightsResponse & { request_id: string }> {
    const r = await this.op(
      'api/v1/save_weights_for_sampler',
      'SaveWeightsForSampler',
      (seq_id) => ({ model_id: this.model_id, path: name, seq_id, type: 'save_weights_for_sampler' }),
      SaveWeightsForSamplerResponseSchema,
      opts,
    );
    if (!r.data.path) {
      throw this.transport.validationError(
        { method: 'POST', path: 'api/v1/save_weights_for_sampler' },
        { status: 200, headers: {}, text: JSON.stringify(r.data), durationMs: 0 },
        'a named save returned no path',
      );
    }
    return { path: r.data.path, request_id: r.request_id };
  }

  async loadState(
    path: string,
    opts?: TrainingCallOptions & { optimizer?: boolean },
  ): Promise<LoadWeightsResponse & { request_id: string }> {
    const r = await this.op(
      'api/v1/load_weights',
      'LoadWeights',
      (seq_id) => ({ model_id: this.model_id, path, optimizer: opts?.optimizer ?? true, seq_id, type: 'load_weights' }),
      LoadWeightsResponseSchema,
      opts,
    );
    return { ...r.data, request_id: r.request_id };
  }

  /** Saves unnamed sampler weights and returns a client that samples them. */
  async saveWeightsAndGetSamplingClient(opts?: TrainingCallOptions): Promise<SamplingClient> {
    const sampling_session_seq_id = this.session.nextSamplingSeqId();
    const r = await this.op(
      'api/v1/save_weights_for_sampler',
      'SaveWeightsForSampler',
      (seq_id) => ({ model_id: this.model_id, sampling_session_seq_id, seq_id, type: 'save_weights_for_sampler' }),
      SaveWeightsForSamplerResponseSchema,
      opts,
    );
    if (r.data.sampling_session_id) return new SamplingClient(this.transport, r.data.sampling_session_id);
    if (r.data.path) return this.session.samplingClientForPath(r.data.path, opts);
    throw this.transport.validationError(
      { method: 'POST', path: 'api/v1/save_weights_for_sampler' },
      { status: 200, headers: {}, text: JSON.stringify(r.data), durationMs: 0 },
      'the result has neither sampling_session_id nor path',
    );
  }

  async getInfo(opts?: CallOptions): Promise<GetInfoResponse> {
    const { data } = await this.transport.request(
      { method: 'POST', path: 'api/v1/get_info', body: { model_id: this.model_id, type: 'get_info' }, schema: GetInfoResponseSchema },
      contextOf(opts),
    );
    return data;
  }
}
