/** What the status bar says about a waiting request. No `vscode` here, so it is tested in plain Node. */
import type { QueueStateEvent, RetryWaitReason } from '../mint';

/**
 * Where a waiting request is, as the server said it: MinT sends a status and a stage (queued,
 * prefill, decode, running) and sometimes generation progress; position and ETA only some
 * servers send, and nothing here makes them up.
 */
export interface QueueBadge {
  stage?: string | undefined;
  position?: number | undefined;
  depth?: number | undefined;
  etaSeconds?: number | undefined;
  tokensGenerated?: number | undefined;
  maxTokens?: number | undefined;
}

/** A retry wait in few words, for the status bar and the playground card: "rate limited", "server busy". */
export function retryWaitWords(reason: RetryWaitReason): string {
  return RETRY_WORDS[reason];
}

const RETRY_WORDS: Record<RetryWaitReason, string> = {
  rate_limited: 'rate limited',
  server_busy: 'server busy',
  server_error: 'server error',
  connection: 'not reachable',
};

/** The client's queue-state event in the status bar's terms. */
export function queueBadgeOf(e: QueueStateEvent): QueueBadge {
  return {
    stage: e.stage ?? e.status,
    position: e.queue_position,
    depth: e.queue_depth,
    etaSeconds: e.eta_s,
    tokensGenerated: e.progress?.tokens_generated,
    maxTokens: e.progress?.max_tokens,
  };
}

/** "queued #3 of 9 · ETA 12s", "prefill", "decoding 40/128": only what the server said. */
export function queueText(q: QueueBadge): string | undefined {
  const stage = q.stage === 'decode' ? 'decoding' : q.stage;
  let head =
    q.tokensGenerated !== undefined && q.maxTokens !== undefined ? `${stage ?? 'generating'} ${q.tokensGenerated}/${q.maxTokens}` : stage;
  if (q.position !== undefined) head = `${head ?? 'queue'} #${q.position}${q.depth !== undefined ? ` of ${q.depth}` : ''}`;
  const parts = head ? [head] : [];
  if (q.etaSeconds !== undefined) parts.push(`ETA ${Math.max(0, Math.ceil(q.etaSeconds))}s`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}
