/**
 * Every MinT wire shape the client sends or reads, written once. Response schemas are
 * `z.object` (unknown keys stripped) because the server may add fields at any time; request
 * types are inferred too, so a field name typed wrong fails the typecheck, not the server.
 */
import { z } from 'zod';

// ---------- model input ----------

export const EncodedTextChunkSchema = z.object({
  type: z.literal('encoded_text'),
  tokens: z.array(z.number().int()),
});
export const ImageChunkSchema = z.object({
  type: z.literal('image'),
  data: z.string(),
  format: z.enum(['png', 'jpeg']),
  expected_tokens: z.number().int().optional(),
});
export const ModelInputChunkSchema = z.discriminatedUnion('type', [EncodedTextChunkSchema, ImageChunkSchema]);
export const ModelInputSchema = z.object({ chunks: z.array(ModelInputChunkSchema) });
export type ModelInput = z.infer<typeof ModelInputSchema>;

export const TensorDataSchema = z.object({
  data: z.array(z.number()),
  dtype: z.enum(['int64', 'float32']),
  shape: z.array(z.number().int()).optional(),
});
export type TensorData = z.infer<typeof TensorDataSchema>;

export const DatumSchema = z.object({
  model_input: ModelInputSchema,
  loss_fn_inputs: z.record(z.string(), TensorDataSchema),
});
export type Datum = z.infer<typeof DatumSchema>;

// ---------- futures ----------

export const UntypedFutureSchema = z.object({
  request_id: z.string().min(1),
  model_id: z.string().optional(),
});
export type UntypedFuture = z.infer<typeof UntypedFutureSchema>;

export const FutureErrorSchema = z.object({
  error: z.string(),
  category: z.string().nullish(),
});

// ---------- service ----------

export const ClientConfigResponseSchema = z.record(z.string(), z.unknown());

export const CreateSessionResponseSchema = z.object({
  session_id: z.string().min(1),
  info_message: z.string().nullish(),
  warning_message: z.string().nullish(),
  error_message: z.string().nullish(),
});

export const HeartbeatResponseSchema = z.object({ type: z.string().optional() });

export const SupportedModelSchema = z.looseObject({
  model_name: z.string(),
  max_context_length: z.number().int().nullish(),
  /** In billions (0.6 for Qwen3-0.6B), whatever unit the server sent: see listings.ts. */
  num_parameters: z.number().nullish(),
});
export const ServerCapabilitiesSchema = z.object({ supported_models: z.array(SupportedModelSchema) });
export type ServerCapabilities = z.infer<typeof ServerCapabilitiesSchema>;
export type SupportedModel = z.infer<typeof SupportedModelSchema>;

export const HealthResponseSchema = z.object({ status: z.string() });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

export const CreateSamplingSessionResponseSchema = z.object({ sampling_session_id: z.string().min(1) });

// ---------- sampling ----------

export const SamplingParamsSchema = z.object({
  max_tokens: z.number().int().positive(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()), z.array(z.number().int())]).optional(),
});
export type SamplingParams = z.infer<typeof SamplingParamsSchema>;

export const SampledSequenceSchema = z.object({
  stop_reason: z.enum(['stop', 'length', 'eos']),
  tokens: z.array(z.number().int()),
  logprobs: z.array(z.number()).nullish(),
  /**
   * Newer Tinker servers, when `topk_sample_logprobs` was asked: per sampled position its top-k
   * [token, logprob]. Dense rows pad empty slots with token 0 and logprob -99999; the client drops those.
   */
  topk_logprobs: z
    .array(z.array(z.tuple([z.number().int(), z.number()])).nullable())
    .nullish()
    .transform((rows) => rows?.map((row) => (row ? row.filter(([, lp]) => lp > -99_999 && Number.isFinite(lp)) : null))),
});
export type SampledSequence = z.infer<typeof SampledSequenceSchema>;

export const SampleResponseSchema = z.object({
  sequences: z.array(SampledSequenceSchema),
  prompt_logprobs: z.array(z.number().nullable()).nullish(),
  topk_prompt_logprobs: z.array(z.array(z.tuple([z.number().int(), z.number()])).nullable()).nullish(),
});
export type SampleResponse = z.infer<typeof SampleResponseSchema>;

// ---------- training ----------

export const CreateModelResultSchema = z.object({ model_id: z.string().min(1) });

export const GetInfoResponseSchema = z.looseObject({
  model_id: z.string().optional(),
  model_data: z.looseObject({ arch: z.string().nullish(), model_name: z.string().nullish(), tokenizer_id: z.string().nullish() }).nullish(),
  is_lora: z.boolean().nullish(),
  lora_rank: z.number().nullish(),
  model_name: z.string().nullish(),
});
export type GetInfoResponse = z.infer<typeof GetInfoResponseSchema>;

export const ForwardBackwardOutputSchema = z.object({
  loss_fn_output_type: z.string(),
  loss_fn_outputs: z.array(z.record(z.string(), TensorDataSchema)),
  metrics: z.record(z.string(), z.number()),
});
export type ForwardBackwardOutput = z.infer<typeof ForwardBackwardOutputSchema>;

export const AdamParamsSchema = z.object({
  learning_rate: z.number().positive(),
  beta1: z.number().optional(),
  beta2: z.number().optional(),
  eps: z.number().optional(),
  weight_decay: z.number().optional(),
  grad_clip_norm: z.number().optional(),
});
export type AdamParams = z.infer<typeof AdamParamsSchema>;

export const OptimStepResponseSchema = z.object({ metrics: z.record(z.string(), z.number()).nullish() });
export type OptimStepResponse = z.infer<typeof OptimStepResponseSchema>;

export const SaveWeightsResponseSchema = z.object({ path: z.string().min(1) });
export type SaveWeightsResponse = z.infer<typeof SaveWeightsResponseSchema>;

export const SaveWeightsForSamplerResponseSchema = z.object({
  path: z.string().nullish(),
  sampling_session_id: z.string().nullish(),
});
export type SaveWeightsForSamplerResponse = z.infer<typeof SaveWeightsForSamplerResponseSchema>;

export const LoadWeightsResponseSchema = z.object({ path: z.string().nullish(), model_id: z.string().nullish() });
export type LoadWeightsResponse = z.infer<typeof LoadWeightsResponseSchema>;

export const WeightsInfoResponseSchema = z.looseObject({
  base_model: z.string(),
  is_lora: z.boolean(),
  lora_rank: z.number().int().nullish(),
  train_unembed: z.boolean().nullish(),
  train_mlp: z.boolean().nullish(),
  train_attn: z.boolean().nullish(),
});
export type WeightsInfoResponse = z.infer<typeof WeightsInfoResponseSchema>;

// ---------- REST ----------

export const CursorSchema = z.object({
  offset: z.number().int(),
  limit: z.number().int(),
  total_count: z.number().int(),
});
export type Cursor = z.infer<typeof CursorSchema>;

export const CheckpointSchema = z.looseObject({
  checkpoint_id: z.string(),
  checkpoint_type: z.enum(['training', 'sampler']),
  time: z.string().nullish(),
  /** MinT: always tinker://. Older servers: the client's scheme. Read `path` instead. */
  tinker_path: z.string(),
  /** The path in this client's scheme (MinT sends it; the client fills it from tinker_path otherwise). */
  path: z.string().optional(),
  step: z.number().nullish(),
  created_at: z.string().nullish(),
  size_bytes: z.number().nullish(),
  public: z.boolean().nullish(),
  expires_at: z.string().nullish(),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const TrainingRunSchema = z.looseObject({
  training_run_id: z.string(),
  base_model: z.string(),
  model_owner: z.string().nullish(),
  is_lora: z.boolean().nullish(),
  corrupted: z.boolean().nullish(),
  lora_rank: z.number().int().nullish(),
  last_request_time: z.string().nullish(),
  last_checkpoint: CheckpointSchema.nullish(),
  last_sampler_checkpoint: CheckpointSchema.nullish(),
  user_metadata: z.record(z.string(), z.unknown()).nullish(),
  /** MinT only: seconds since the run's last activity, and when that was. */
  idle_for_s: z.number().nullish(),
  last_activity: z.unknown().optional(),
});
export type TrainingRun = z.infer<typeof TrainingRunSchema>;

export const TrainingRunsResponseSchema = z.object({
  training_runs: z.array(TrainingRunSchema),
  cursor: CursorSchema.nullish(),
});
export type TrainingRunsResponse = z.infer<typeof TrainingRunsResponseSchema>;

export const CheckpointsResponseSchema = z.object({
  checkpoints: z.array(CheckpointSchema),
  cursor: CursorSchema.nullish(),
});

export const SessionsResponseSchema = z.object({
  sessions: z.array(z.string()),
  cursor: CursorSchema.nullish(),
});
export type SessionsResponse = z.infer<typeof SessionsResponseSchema>;

export const SessionSchema = z.looseObject({
  training_run_ids: z.array(z.string()),
  sampler_ids: z.array(z.string()),
});
export type Session = z.infer<typeof SessionSchema>;

export const SamplerSchema = z.looseObject({
  sampler_id: z.string(),
  base_model: z.string(),
  model_path: z.string().nullish(),
});
export type Sampler = z.infer<typeof SamplerSchema>;

export const ArchiveUrlBodySchema = z.object({ url: z.string().url(), expires: z.string().nullish() });

// ---------- OpenAI-compatible ----------

export const OpenAIModelSchema = z.looseObject({ id: z.string(), object: z.string().optional() });
export const OpenAIModelsResponseSchema = z.object({ data: z.array(OpenAIModelSchema) });
export type OpenAIModel = z.infer<typeof OpenAIModelSchema>;

export const OpenAIUsageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const ChatMessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().nullable(),
  name: z.string().nullish(),
  tool_call_id: z.string().nullish(),
  tool_calls: z.array(z.unknown()).nullish(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatCompletionSchema = z.looseObject({
  id: z.string(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number().int(),
      message: ChatMessageSchema,
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: OpenAIUsageSchema.nullish(),
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

export const CompletionSchema = z.looseObject({
  id: z.string(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number().int(), text: z.string(), finish_reason: z.string().nullable() })),
  usage: OpenAIUsageSchema.nullish(),
});
export type Completion = z.infer<typeof CompletionSchema>;
