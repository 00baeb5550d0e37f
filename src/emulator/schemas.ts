import { z } from 'zod';

/**
 * Request bodies as MinT's server accepts them. Unknown fields are dropped (pydantic's default
 * for MinT's request models); missing required fields give FastAPI's 422 field list.
 */

const int = z.number().int();

export const EncodedTextChunk = z.object({
  type: z.literal('encoded_text').optional(),
  tokens: z.array(int),
});
export type EncodedTextChunk = z.infer<typeof EncodedTextChunk>;
const ImageChunk = z.object({ type: z.enum(['image', 'image_asset_pointer']) }).passthrough();
export const ModelInput = z.object({ chunks: z.array(z.union([EncodedTextChunk, ImageChunk])) });
export type ModelInput = z.infer<typeof ModelInput>;

export const ClientConfigRequest = z.object({ sdk_version: z.string().optional() });

export const CreateSessionRequest = z.object({
  tags: z.array(z.string()).default([]),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  sdk_version: z.string().optional(),
  project_id: z.string().nullish(),
});

export const SessionHeartbeatRequest = z.object({ session_id: z.string() });

export const CreateSamplingSessionRequest = z.object({
  session_id: z.string(),
  sampling_session_seq_id: int.nullish(),
  base_model: z.string().nullish(),
  model_path: z.string().nullish(),
  lora_rank: int.nullish(),
});

/**
 * MinT's pydantic model puts no bounds on these: a bad value (max_tokens 0, temperature -1)
 * fails the sample's future, as the inference engine rejects it, instead of a 422.
 */
export const SamplingParams = z.object({
  max_tokens: int,
  temperature: z.number().default(1),
  top_p: z.number().default(1),
  top_k: int.default(-1),
  seed: int.nullish(),
  stop: z.union([z.string(), z.array(z.string()), z.array(int)]).nullish(),
});
export type SamplingParams = z.infer<typeof SamplingParams>;

/** The selector rules are a model validator on MinT, so breaking them is a 422 value_error. */
export const SampleRequest = z
  .object({
    num_samples: int,
    prompt: ModelInput,
    sampling_params: SamplingParams,
    base_model: z.string().nullish(),
    model_path: z.string().nullish(),
    sampling_session_id: z.string().nullish(),
    model_id: z.string().nullish(),
    seq_id: int.nullish(),
    prompt_logprobs: z.boolean().nullish(),
    include_prompt_logprobs: z.boolean().nullish(),
    topk_prompt_logprobs: int.default(0),
    /** Newer Tinker (not in MinT's 2026-08 snapshot): the top-k at each sampled position, as `topk_logprobs` per sequence. */
    topk_sample_logprobs: int.default(0),
  })
  .superRefine((b, ctx) => {
    const session = b.sampling_session_id || b.model_id;
    if (b.sampling_session_id && b.model_id && b.sampling_session_id !== b.model_id) {
      ctx.addIssue({ code: 'custom', message: 'sampling_session_id and model_id must match when both are provided' });
    } else if ([session, b.base_model, b.model_path].filter(Boolean).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'Exactly one selector must be provided: sampling_session_id/model_id, base_model, or model_path',
      });
    } else if (b.seq_id != null && !session) {
      ctx.addIssue({ code: 'custom', message: 'seq_id requires sampling_session_id or model_id' });
    }
  });
export type SampleRequest = z.infer<typeof SampleRequest>;

export const RetrieveFutureRequest = z.object({
  request_id: z.string(),
  allow_metadata_only: z.boolean().optional(),
});

export const CancelFutureRequest = z.object({ request_id: z.string(), reason: z.string().nullish() });

/** MinT requires rank whenever lora_config is sent; a missing lora_config means a full fine-tune. */
export const LoraConfig = z.object({
  rank: int.min(1),
  seed: int.nullish(),
  train_unembed: z.boolean().default(true),
  train_mlp: z.boolean().default(true),
  train_attn: z.boolean().default(true),
});

export const CreateModelRequest = z.object({
  session_id: z.string(),
  model_seq_id: int,
  base_model: z.string(),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  lora_config: LoraConfig.nullish(),
});

export const CreateModelFromStateRequest = z.object({
  session_id: z.string(),
  model_seq_id: int,
  base_model: z.string(),
  state_path: z.string(),
  lora_config: LoraConfig.nullish(),
  load_optimizer: z.boolean().default(true),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
});

export const ModelIdRequest = z.object({ model_id: z.string() });

/**
 * MinT requires `shape` (the Tinker SDK may omit it); its product must match the data length.
 * `dtype` is any string (float32 when absent) and `data` may be a bare scalar, as MinT's model says.
 */
export const TensorData = z.object({
  data: z.union([z.array(z.number()), z.number()]),
  dtype: z.string().default('float32'),
  shape: z.array(int.min(0)),
});
export type TensorData = z.infer<typeof TensorData>;

export const Datum = z.object({
  loss_fn_inputs: z.record(z.string(), TensorData),
  model_input: ModelInput,
});

/** MinT takes any loss name here; an unknown one fails the future, not the POST. */
export const LossInput = z.object({
  data: z.array(Datum),
  loss_fn: z.string(),
  loss_fn_config: z.record(z.string(), z.unknown()).nullish(),
});
export type LossInput = z.infer<typeof LossInput>;

export const ForwardBackwardRequest = z.object({ forward_backward_input: LossInput, model_id: z.string(), seq_id: int.nullish() });
export const ForwardRequest = z.object({ forward_input: LossInput, model_id: z.string(), seq_id: int.nullish() });

export const AdamParams = z.object({
  learning_rate: z.number().min(0).default(1e-4),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  eps: z.number().gt(0).default(1e-12),
});

export const OptimStepRequest = z.object({ adam_params: AdamParams, model_id: z.string(), seq_id: int.nullish() });

/** forward_backward and optim_step as one op (MinT only); adam_params may be left out. */
export const TrainStepRequest = z.object({
  forward_backward_input: LossInput,
  adam_params: AdamParams.nullish(),
  model_id: z.string(),
  seq_id: int.nullish(),
});

/** MinT has no `overwrite`: a name in use fails the future instead. */
export const SaveWeightsRequest = z.object({
  model_id: z.string(),
  path: z.string().nullish(),
  seq_id: int.nullish(),
  ttl_seconds: int.nullish(),
});

export const SaveWeightsForSamplerRequest = z.object({
  model_id: z.string(),
  path: z.string().nullish(),
  sampling_session_seq_id: int.nullish(),
  seq_id: int.nullish(),
  ttl_seconds: int.nullish(),
});

export const LoadWeightsRequest = z.object({
  model_id: z.string(),
  path: z.string(),
  optimizer: z.boolean().default(true),
  seq_id: int.nullish(),
});

export const WeightsInfoRequest = z.object({ tinker_path: z.string() });

export const ComputeLogprobsRequest = z.object({ sampling_session_id: z.string(), seq_id: int, sequence: ModelInput });

export const ControlConfigRequest = z.object({
  latencyMs: z.number().min(0).max(600_000).optional(),
  longPollMs: z.number().min(0).max(600_000).optional(),
  apiKey: z.string().min(1).nullable().optional(),
  samplingBackpressureLimit: int.min(1).optional(),
  heartbeatStaleMs: z.number().min(1).optional(),
  maskErrors: z.boolean().optional(),
  legacyQueueHeaders: z.boolean().optional(),
  saveWeightsAsSampler: z.boolean().optional(),
  resultHotTtlMs: z.number().min(0).optional(),
  futurePendingTtlMs: z.number().min(0).optional(),
});

/**
 * The OpenAI-compatible requests. MinT's models forbid unknown fields (`seed`, `user`,
 * `logprobs`... answer 422) and take `content` as a string only.
 */
const OaiStop = z.union([z.string(), z.array(z.string())]).nullish();

/** What both OpenAI routes take besides the prompt; only max_tokens' default differs between them. */
const OaiSampling = {
  temperature: z.number().default(1),
  top_p: z.number().default(1),
  stop: OaiStop,
  stream: z.boolean().default(false),
  n: int.default(1),
};

export const OaiCompletionRequest = z.strictObject({
  model: z.string(),
  prompt: z.string(),
  max_tokens: int.default(512),
  ...OaiSampling,
});

const OaiToolCall = z.strictObject({
  id: z.string().nullish(),
  type: z.literal('function').default('function'),
  function: z.strictObject({ name: z.string(), arguments: z.string() }),
});

const OaiTool = z.strictObject({
  type: z.literal('function').default('function'),
  function: z.strictObject({
    name: z.string(),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

/** MinT's per-role rules, with its wording. */
const OaiMessage = z
  .strictObject({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string().nullish(),
    name: z.string().nullish(),
    tool_call_id: z.string().nullish(),
    tool_calls: z.array(OaiToolCall).nullish(),
  })
  .superRefine((m, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (m.role === 'tool') {
      if (m.tool_call_id == null) return fail('tool messages require tool_call_id');
      if (m.content == null) return fail('tool messages require content');
      return;
    }
    if (m.tool_call_id != null) return fail('tool_call_id is only valid for tool messages');
    if (m.role === 'assistant') {
      if (m.content == null && !m.tool_calls?.length) return fail('assistant messages require content or tool_calls');
      const missing = (m.tool_calls ?? []).findIndex((tc) => tc.id == null);
      if (missing >= 0) return fail(`tool_calls[${missing}].id is required`);
      return;
    }
    if (m.tool_calls != null) return fail('tool_calls are only valid for assistant messages');
    if (m.content == null) return fail(`${m.role} messages require content`);
  });

export const OaiChatRequest = z
  .strictObject({
    model: z.string(),
    messages: z.array(OaiMessage),
    max_tokens: int.default(16),
    ...OaiSampling,
    tools: z.array(OaiTool).nullish(),
    tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
    parallel_tool_calls: z.boolean().nullish(),
  })
  .superRefine((b, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    const names = (b.tools ?? []).map((t) => t.function.name);
    if (new Set(names).size !== names.length) return fail('tools must have unique function names');
    const choice = b.tool_choice;
    if (choice == null) return;
    if (typeof choice === 'string') {
      if (!['none', 'auto', 'required'].includes(choice)) return fail('tool_choice must be one of: none, auto, required');
      if (choice === 'required' && !b.tools?.length) return fail("tool_choice='required' requires tools");
      return;
    }
    if (choice['type'] !== 'function') return fail("tool_choice object must have type='function'");
    const fn = choice['function'];
    if (!fn || typeof fn !== 'object' || Array.isArray(fn)) return fail('tool_choice.function must be an object');
    const name = (fn as Record<string, unknown>)['name'];
    if (typeof name !== 'string' || !name) return fail('tool_choice.function.name must be a non-empty string');
    if (!b.tools?.length) return fail('tool_choice function selection requires tools');
    if (!names.includes(name)) return fail(`tool_choice function '${name}' must be declared in tools`);
  });
export type OaiChatRequest = z.infer<typeof OaiChatRequest>;
