/**
 * Cancelling frees the server too: MinT's `cancel_future` takes a queued op or sample out of its
 * queue, so a user who gives up does not keep a GPU busy or hold later ops of the model back.
 * Best effort only: the caller already has its CancelledError, so nothing here may throw, wait
 * long, or ask twice of a server that has no such route.
 */
import { APIStatusError, isMissingRoute } from './errors';
import type { Transport } from './transport';

const CANCEL_PATH = 'api/v1/cancel_future';
const CANCEL_TIMEOUT_MS = 5_000;
const ROUTE = 'cancel_future';

/** Asks MinT to cancel a future; resolves when the attempt is over, whatever happened. */
export function cancelFutureQuietly(transport: Transport, request_id: string): Promise<void> {
  if (transport.missingRoutes.has(ROUTE)) return Promise.resolve();
  return transport
    .requestRaw(
      { method: 'POST', path: CANCEL_PATH, body: { request_id }, maxRetries: 0, attemptTimeoutMs: CANCEL_TIMEOUT_MS },
      // Not the caller's context: its signal is the one that just aborted.
      { signal: undefined, deadline: Date.now() + CANCEL_TIMEOUT_MS },
    )
    .then(
      () => undefined,
      (err: unknown) => {
        if (isMissingRoute(err) || (err instanceof APIStatusError && (err.status === 405 || err.status === 501))) {
          transport.missingRoutes.add(ROUTE);
        }
      },
    );
}
