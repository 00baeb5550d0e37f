/**
 * The playground's conversions between the client's shapes and the page's, one function each, so
 * the sampler, View as code and the failure columns cannot drift apart. No vscode import at run
 * time: the sampling tests use these in plain Node.
 */
import type { QueueStateEvent, SamplingParams } from '../../mint';
import type { ErrorInfo, Params, QueueInfo } from '../../shared/playground';
import type { DescribedError } from '../errorPresenter';

/** MinT's sampling_params as the form can fill them: stop strings, never stop token ids. */
export type FormSamplingParams = Omit<SamplingParams, 'stop'> & { stop?: string[] };

/** The form's parameters as MinT's sampling_params: only what the user set goes out. */
export function toSamplingParams(params: Params): FormSamplingParams {
  const out: FormSamplingParams = { max_tokens: params.max_tokens };
  if (params.temperature !== undefined) out.temperature = params.temperature;
  if (params.top_p !== undefined) out.top_p = params.top_p;
  if (params.top_k !== undefined) out.top_k = params.top_k;
  if (params.seed !== undefined) out.seed = params.seed;
  if (params.stop !== undefined) out.stop = params.stop;
  return out;
}

/** A queue-state event as a column's queue line: MinT's stage and whatever else the server sent, nothing invented. */
export function toQueueInfo(e: QueueStateEvent): QueueInfo {
  const stage = e.stage ?? e.status;
  return {
    queue_state: e.queue_state,
    ...(stage !== undefined ? { stage } : {}),
    ...(e.queue_state_reason !== undefined ? { queue_state_reason: e.queue_state_reason } : {}),
    ...(e.queue_position !== undefined ? { queue_position: e.queue_position } : {}),
    ...(e.queue_depth !== undefined ? { queue_depth: e.queue_depth } : {}),
    // Retry-After is how long to wait before polling again, not when the sample is done.
    ...(e.eta_s !== undefined ? { eta_s: e.eta_s } : {}),
    ...(e.progress?.tokens_generated !== undefined ? { tokens_generated: e.progress.tokens_generated } : {}),
    ...(e.progress?.max_tokens !== undefined ? { max_tokens: e.progress.max_tokens } : {}),
  };
}

/** A failure as the page shows it in a column or a notice, in the presenter's words. */
export function toErrorInfo(d: DescribedError): ErrorInfo {
  return { kind: d.className, message: d.message, ...(d.requestId ? { request_id: d.requestId } : {}) };
}
