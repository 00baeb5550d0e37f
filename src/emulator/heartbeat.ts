import type { EmulatorCore } from './core';
import { failPendingOps } from './trainingQueue';
import type { LiveModel } from './world';

/**
 * MinT's stale-heartbeat cleanup: a training model whose session has not beaten (nor enqueued a
 * training op, which also counts as a beat) for longer than the limit is stopped. Its pending
 * futures fail, and the model goes away, so later ops get 404 and the run leaves /training_runs.
 * A model whose session the server never saw has no heartbeat record and is never stale.
 */

/** Stops `m` if its session went silent; true when it did. */
export function stopIfStale(core: EmulatorCore, m: LiveModel, now = Date.now()): boolean {
  const session = core.world.sessions.get(m.sessionId);
  if (!session) return false;
  const silentMs = now - session.lastHeartbeat.getTime();
  const limitMs = core.config.heartbeatStaleMs;
  if (silentMs <= limitMs) return false;
  const limitS = (limitMs / 1000).toFixed(1);
  core.world.models.delete(m.id);
  core.world.stoppedModels.set(
    m.id,
    `it was stopped because session ${m.sessionId} sent no heartbeat for ${(silentMs / 1000).toFixed(1)} s (limit ${limitS} s). ` +
      'Keep a session heartbeat every 10 s while training, then create a new training client; saved checkpoints are kept.',
  );
  failPendingOps(core, m, `Training session terminated due to stale heartbeat (> ${limitS}s)`);
  return true;
}

export function sweepStaleModels(core: EmulatorCore): void {
  const now = Date.now();
  for (const m of [...core.world.models.values()]) stopIfStale(core, m, now);
}

/**
 * Sweeps in the background, as MinT's cron does, so a client that only polls a future still
 * sees the kill. The period follows the (live) limit; the timer never holds the process open.
 */
export function startHeartbeatMonitor(core: EmulatorCore): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    // Short and re-read each tick, so a limit lowered through /_emulator/config applies within a tick.
    const period = Math.max(20, Math.min(250, core.config.heartbeatStaleMs / 3));
    timer = setTimeout(() => {
      sweepStaleModels(core);
      arm();
    }, period);
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
