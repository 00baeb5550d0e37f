// The public surface of the MinT client (docs/contracts.md §3), bundled as dist/mint.js.
export * from './errors';
export { ServiceClient, type ServiceClientOptions, type SamplingTarget, type LoraTrainingOptions, type HealthStatus } from './service';
export {
  SamplingClient,
  ModelInput,
  withSampleRetries,
  type SampleRequest,
  type SampleOptions,
  type SampleResult,
  type SampleRetryOptions,
} from './sampling';
export {
  TrainingClient,
  Datum,
  chunkData,
  mergeMetrics,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_DATUMS,
  type LossFn,
  type ForwardBackwardResult,
  type TrainingCallOptions,
} from './training';
export { RestClient, type PageOptions, type ArchiveUrl, type ArchiveDownload } from './rest';
export { OpenAIClient, type ChatCompletionRequest, type CompletionRequest } from './openai';
export {
  parseCheckpointPath,
  formatCheckpointPath,
  isCheckpointPath,
  isSamplerPath,
  type CheckpointPath,
  type CheckpointKind,
  type CheckpointScheme,
  type CheckpointType,
} from './paths';
export { resolveConfig, normalizeBaseUrl, DEFAULT_BASE_URL, CLIENT_VERSION, DEFAULT_USER_AGENT } from './config';
export type { QueueStateEvent } from './futures';
export type { RequestEvent, CallOptions } from './transport';
export type { RetryWaitEvent, RetryWaitReason } from './callContext';
export type {
  SamplingParams,
  SampleResponse,
  SampledSequence,
  TensorData,
  ServerCapabilities,
  SupportedModel,
  ForwardBackwardOutput,
  AdamParams,
  OptimStepResponse,
  SaveWeightsResponse,
  LoadWeightsResponse,
  WeightsInfoResponse,
  TrainingRun,
  TrainingRunsResponse,
  Checkpoint,
  Cursor,
  Session,
  SessionsResponse,
  Sampler,
  GetInfoResponse,
  ChatMessage,
  ChatCompletion,
  Completion,
  OpenAIModel,
} from './schemas';
