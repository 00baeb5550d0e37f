import { z } from 'zod';
import { LOSS_FNS } from './losses';

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

export const SamplingParams = z.object({
  max_tokens: int.min(1),
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: int.default(-1),
  seed: int.nullish(),
  stop: z.union([z.string(), z.array(z.string()), z.array(int)]).nullish(),
});
export type SamplingParams = z.infer<typeof SamplingParams>;

export const SampleRequest = z.object({
  num_samples: int.min(1).max(128).default(1),
  prompt: ModelInput,
  sampling_params: SamplingParams,
  base_model: z.string().nullish(),
  model_path: z.string().nullish(),
  sampling_session_id: z.string().nullish(),
  model_id: z.string().nullish(),
  seq_id: int.nullish(),
  prompt_logprobs: z.boolean().nullish(),
  include_prompt_logprobs: z.boolean().nullish(),
  topk_prompt_logprobs: int.min(0).default(0),
});
export type SampleRequest = z.infer<typeof SampleRequest>;

export const RetrieveFutureRequest = z.object({
  request_id: z.string(),
  allow_metadata_only: z.boolean().optional(),
});

export const LoraConfig = z.object({
  rank: int.min(1).default(32),
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

export const ModelIdRequest = z.object({ model_id: z.string() });

/** MinT requires `shape` (the Tinker SDK may omit it); its product must match the data length. */
export const TensorData = z.object({
  data: z.array(z.number()),
  dtype: z.enum(['int64', 'float32', 'int32', 'float64']),
  shape: z.array(int.min(0)),
});
export type TensorData = z.infer<typeof TensorData>;

export const Datum = z.object({
  loss_fn_inputs: z.record(z.string(), TensorData),
  model_input: ModelInput,
});

const LossInput = z.object({
  data: z.array(Datum),
  loss_fn: z.enum(LOSS_FNS),
  loss_fn_config: z.record(z.string(), z.number()).nullish(),
});

export const ForwardBackwardRequest = z.object({ forward_backward_input: LossInput, model_id: z.string(), seq_id: int.nullish() });
export const ForwardRequest = z.object({ forward_input: LossInput, model_id: z.string(), seq_id: int.nullish() });

export const OptimStepRequest = z.object({
  adam_params: z.object({
    learning_rate: z.number().min(0).default(1e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.95),
    eps: z.number().gt(0).default(1e-12),
  }),
  model_id: z.string(),
  seq_id: int.nullish(),
});

export const SaveWeightsRequest = z.object({
  model_id: z.string(),
  path: z.string().nullish(),
  seq_id: int.nullish(),
  ttl_seconds: int.nullish(),
  overwrite: z.boolean().default(false),
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

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(0).max(1000).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ControlConfigRequest = z.object({
  latencyMs: z.number().min(0).max(600_000).optional(),
  longPollMs: z.number().min(0).max(600_000).optional(),
  apiKey: z.string().min(1).nullable().optional(),
  samplingBackpressureLimit: int.min(1).optional(),
  heartbeatStaleMs: z.number().min(1).optional(),
});

const OaiStop = z.union([z.string(), z.array(z.string())]).nullish();

/** What both OpenAI routes take besides the prompt; only max_tokens' default differs between them. */
const OaiSampling = {
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  stop: OaiStop,
  stream: z.boolean().default(false),
  n: int.default(1),
  seed: int.nullish(),
};

export const OaiCompletionRequest = z.object({
  model: z.string(),
  prompt: z.string(),
  max_tokens: int.min(1).default(512),
  ...OaiSampling,
});

export const OaiChatRequest = z.object({
  model: z.string(),
  messages: z
    .array(
      z
        .object({
          role: z.enum(['system', 'user', 'assistant', 'tool']),
          // OpenAI also allows content as text parts; images are not something this model reads.
          content: z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]).nullish(),
          name: z.string().nullish(),
          tool_call_id: z.string().nullish(),
        })
        .passthrough(),
    )
    .min(1),
  max_tokens: int.min(1).default(16),
  ...OaiSampling,
});
