/**
 * Sampling from one sampling session. The seq_id is taken once per `sample()` call, so the
 * transport's retries of that POST carry the same seq_id and MinT deduplicates them instead of
 * generating twice.
 */
import { BadRequestError, RequestFailedError, UnprocessableEntityError } from './errors';
import { awaitFuture, type QueueStateEvent } from './futures';
import {
  SampleResponseSchema,
  SamplingParamsSchema,
  UntypedFutureSchema,
  type ModelInput as ModelInputShape,
  type SampleResponse,
  type SamplingParams,
} from './schemas';
import { contextOf, sleep, type CallOptions, type Transport } from './transport';

export type ModelInput = ModelInputShape;

/** Helpers for the token-id prompts MinT takes (the native API never accepts raw text). */
export const ModelInput = {
  fromInts(tokens: readonly number[]): ModelInput {
    return { chunks: [{ type: 'encoded_text', tokens: [...tokens] }] };
  },
  length(input: ModelInput): number {
    let n = 0;
    for (const c of input.chunks) n += c.type === 'encoded_text' ? c.tokens.length : (c.expected_tokens ?? 0);
    return n;
  },
  toInts(input: ModelInput): number[] {
    return input.chunks.flatMap((c) => (c.type === 'encoded_text' ? c.tokens : []));
  },
};

export interface SampleRequest {
  prompt: ModelInput;
  sampling_params: SamplingParams;
  num_samples?: number;
  prompt_logprobs?: boolean;
  topk_prompt_logprobs?: number;
  /**
   * Newer Tinker: the top-k at each generated position (`sequences[i].topk_logprobs`). Servers
   * without it (MinT's 2026-08 snapshot) may ignore it or refuse it: a 400/422 is retried once
   * without the field; when that is accepted, this client does not send it again.
   */
  topk_sample_logprobs?: number;
}

/** Clients (by transport) whose server refused `topk_sample_logprobs`: it is not sent to them again. */
const refusesTopkSample = new WeakSet<Transport>();

export interface SampleOptions extends CallOptions {
  onQueueState?: ((e: QueueStateEvent) => void) | undefined;
}

export type SampleResult = SampleResponse & { request_id: string };

export class SamplingClient {
  private seq = 0;

  constructor(
    private readonly transport: Transport,
    readonly sampling_session_id: string,
  ) {}

  async sample(req: SampleRequest, opts?: SampleOptions): Promise<SampleResult> {
    const params = SamplingParamsSchema.safeParse(req.sampling_params);
    if (!params.success) {
      const issue = params.error.issues[0];
      throw new TypeError(
        `Invalid sampling_params: ${issue?.path.join('.') || 'sampling_params'}: ${issue?.message}. ` +
          'max_tokens is required by MinT and must be a positive integer.',
      );
    }
    const ctx = contextOf(opts);
    let withTopk = (req.topk_sample_logprobs ?? 0) > 0 && !refusesTopkSample.has(this.transport);
    const submit = async (): Promise<string> => {
      const body: Record<string, unknown> = {
        sampling_session_id: this.sampling_session_id,
        seq_id: this.seq++,
        num_samples: req.num_samples ?? 1,
        prompt: req.prompt,
        sampling_params: params.data,
        prompt_logprobs: req.prompt_logprobs ?? false,
        topk_prompt_logprobs: req.topk_prompt_logprobs ?? 0,
        type: 'sample',
      };
      if (withTopk) body.topk_sample_logprobs = req.topk_sample_logprobs;
      try {
        const { data } = await this.transport.request({ method: 'POST', path: 'api/v1/asample', body, schema: UntypedFutureSchema }, ctx);
        return data.request_id;
      } catch (err) {
        if (!withTopk || !(err instanceof BadRequestError || err instanceof UnprocessableEntityError)) throw err;
        // Perhaps a server that does not know the field: once more without it. Only when that
        // is accepted was the field the problem, and this client does not send it again.
        withTopk = false;
        const id = await submit();
        refusesTopkSample.add(this.transport);
        return id;
      }
    };
    const first = await submit();
    const { data, request_id } = await awaitFuture(this.transport, first, SampleResponseSchema, ctx, {
      requestType: 'Sample',
      onQueueState: opts?.onQueueState,
      resubmit: submit,
    });
    return { ...data, request_id };
  }
}

export interface SampleRetryOptions {
  /** Waits before each retry with the same client; the MinT docs use 1 s, 2 s, 4 s. */
  delaysMs?: readonly number[];
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; error: RequestFailedError; delayMs: number; freshClient: boolean }) => void;
}

/**
 * The MinT docs' strategy for a future that failed on the server: retry after 1 s, 2 s and 4 s,
 * then once more on a fresh sampling client (the session may have been the problem). Only
 * RequestFailedError is retried here; transport-level failures were already retried below.
 */
export async function withSampleRetries<T>(
  getClient: () => Promise<SamplingClient>,
  op: (client: SamplingClient) => Promise<T>,
  opts: SampleRetryOptions = {},
): Promise<T> {
  const delays = opts.delaysMs ?? [1_000, 2_000, 4_000];
  const ctx = { signal: opts.signal, deadline: undefined };
  let client = await getClient();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(client);
    } catch (err) {
      if (!(err instanceof RequestFailedError) || attempt > delays.length) throw err;
      const freshClient = attempt === delays.length;
      const delayMs = freshClient ? 0 : delays[attempt]!;
      opts.onRetry?.({ attempt: attempt + 1, error: err, delayMs, freshClient });
      await sleep(delayMs, ctx);
      if (freshClient) client = await getClient();
    }
  }
}
