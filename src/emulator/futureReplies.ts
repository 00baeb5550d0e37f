import type { Reply } from './http';

/**
 * The shapes retrieve_future answers while a future is pending, and the masking of failure
 * text, as MinT's futures route writes them (docs/contracts.md §1 lists the flags).
 */

/** What production MinT shows a non-privileged caller in place of a failure's own text. */
export const MASKED_ERROR = 'Operation failed. Contact administrator if issue persists.';

/** Failure texts production MinT passes through unmasked, by prefix. */
const SAFE_PREFIXES = ['Access denied', 'Checkpoint not found:', 'Future expired', 'Future already retrieved'];

export function publicError(message: string): string {
  return SAFE_PREFIXES.some((p) => message.startsWith(p)) ? message : MASKED_ERROR;
}

/** Queue status and stage, as MinT reports them: training queued/running, sampling queued/prefill/decode. */
export interface QueueView {
  status: 'queued' | 'running' | 'prefill' | 'decode';
  stage: string;
  queuedForS: number;
  runningForS: number | null;
  progress: { tokens_generated: number; max_tokens: number } | undefined;
  model_id: string | null;
  session_id: string | null;
  sampling_session_id: string | null;
  seq_id: number | null;
  base_model: string | null;
}

/** The pre-2026-05 queue fields, kept behind --legacy-queue-headers for clients tested against both. */
export interface LegacyQueueNumbers {
  position: number;
  depth: number;
  etaS: number;
}

/** The 408 for a poll answered inside MinT's 1 s minimum poll interval (long-poll off). */
export function throttledReply(retryAfterS: number): Reply {
  return {
    status: 408,
    headers: { 'Retry-After': String(retryAfterS), 'X-Tinker-Poll-Throttled': '1' },
    body: { queue_state: 'active', retry_after_s: retryAfterS },
  };
}

/**
 * MinT's pending reply: Retry-After 1 (it never fills in an estimate), X-Queue-Status and -Stage,
 * progress headers for a decoding sample, and a body whose diagnostic keys the emulator cannot
 * know are null, as they are on MinT.
 */
export function pendingReply(requestId: string, q: QueueView, legacy: LegacyQueueNumbers | undefined): Reply {
  const retryAfter = legacy ? Math.min(30, Math.max(1, Math.ceil(legacy.etaS))) : 1;
  const headers: Record<string, string> = { 'Retry-After': String(retryAfter), 'X-Queue-Status': q.status, 'X-Queue-Stage': q.stage };
  const queued = q.status === 'queued';
  const body: Record<string, unknown> = {
    queue_state: 'active',
    retry_after_s: retryAfter,
    request_id: requestId,
    type: 'try_again',
    status: q.status,
    stage: q.stage,
    queue_state_reason: queued ? 'model_work_scheduler' : null,
    queue_position: legacy ? legacy.position : null,
    queue_depth: legacy ? legacy.depth : null,
    estimated_wait_s: legacy ? Number(legacy.etaS.toFixed(3)) : null,
    queue_kind: queued ? 'model_work_scheduler' : null,
    scheduler_domain: null,
    scheduler_session_id: null,
    scheduler_domain_key_source: null,
    scheduler_capacity_owner: null,
    domain_key: null,
    affinity_group: q.model_id ? `training_session:${q.model_id}` : null,
    ordering_key: q.model_id ? `training_session:${q.model_id}` : null,
    model_id: q.model_id,
    session_id: q.session_id,
    sampling_session_id: q.sampling_session_id,
    seq_id: q.seq_id,
    base_model: q.base_model,
    backend: null,
    queue_depth_scheduled: null,
    queue_depth_domain: null,
    queue_depth_session: null,
    queue_position_session: null,
    queue_active_sessions: null,
    progress: q.progress ?? null,
    queued_for_s: q.queuedForS,
    running_for_s: q.runningForS,
    last_progress_s: null,
    queue_wait_s: null,
    dequeue_at: null,
    executor_started_at: null,
    executor_done_at: null,
    executor_exec_s: null,
    engine_acquire_s: null,
    lora_load_s: null,
    generate_s: null,
    queue_stage_timing: null,
  };
  if (q.progress) {
    headers['X-Queue-Tokens-Generated'] = String(q.progress.tokens_generated);
    headers['X-Queue-Max-Tokens'] = String(q.progress.max_tokens);
  }
  if (legacy) {
    headers['X-Queue-Position'] = String(legacy.position);
    headers['X-Queue-Depth'] = String(legacy.depth);
    headers['X-Queue-ETA-S'] = legacy.etaS.toFixed(3);
    body['eta_s'] = Number(legacy.etaS.toFixed(3));
  }
  return { status: 408, headers, body };
}
