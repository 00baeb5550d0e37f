/**
 * One reading of listings that servers write differently. MinT puts `tinker://` in every
 * checkpoint's `tinker_path` and the client's own scheme in `path`, lists newest first, writes
 * naive ISO times (UTC without an offset), and gives `num_parameters` in billions; older MinT and
 * the emulator had `tinker_path` in the client's scheme, no `path`, oldest first, and raw counts.
 */
import type { Checkpoint, ServerCapabilities, TrainingRun } from './schemas';

/** An ISO date-time without an offset is UTC on MinT; JavaScript would read it as local time. */
export function utcIso(t: string | null | undefined): string | null | undefined {
  if (typeof t !== 'string') return t;
  return /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t.trim()) ? `${t.trim()}Z` : t;
}

function timeOf(c: Checkpoint): number {
  const raw = (c as { created_at?: unknown }).created_at;
  const t = Date.parse(utcIso(typeof raw === 'string' ? raw : c.time) ?? '');
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

function stepOf(c: Checkpoint): number {
  const s = (c as { step?: unknown }).step;
  return typeof s === 'number' ? s : Number.NEGATIVE_INFINITY;
}

/** `path` always set (in the client's scheme where the server gave one), times in UTC, newest first. */
export function normalizeCheckpoints(list: readonly Checkpoint[]): (Checkpoint & { path: string })[] {
  return list
    .map((c) => ({ ...c, path: c.path ?? c.tinker_path, time: utcIso(c.time) }))
    .sort((a, b) => timeOf(b) - timeOf(a) || stepOf(b) - stepOf(a));
}

export function normalizeRun(run: TrainingRun): TrainingRun {
  const out: TrainingRun = { ...run, last_request_time: utcIso(run.last_request_time) };
  if (run.last_checkpoint) out.last_checkpoint = normalizeCheckpoints([run.last_checkpoint])[0]!;
  if (run.last_sampler_checkpoint) out.last_sampler_checkpoint = normalizeCheckpoints([run.last_sampler_checkpoint])[0]!;
  return out;
}

/** Above this, a `num_parameters` is a raw count: no model has 100 000 billion parameters. */
const RAW_COUNT_ABOVE = 100_000;

/** `num_parameters` in billions (MinT's unit), whichever unit the server used. */
export function normalizeCapabilities(caps: ServerCapabilities): ServerCapabilities {
  const isRaw = (n: number | null | undefined) => typeof n === 'number' && n > RAW_COUNT_ABOVE;
  if (!caps.supported_models.some((m) => isRaw(m.num_parameters))) return caps;
  return {
    ...caps,
    supported_models: caps.supported_models.map((m) => (isRaw(m.num_parameters) ? { ...m, num_parameters: m.num_parameters! / 1e9 } : m)),
  };
}
