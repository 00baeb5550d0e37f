/**
 * Finding training run folders on disk and telling whether each is running, finished or failed.
 *
 * Two layouts are recognised (docs: mint-workflows §2.2, §2.3):
 *  - tinker-cookbook `log_path`: `metrics.jsonl`, `config.json`, `checkpoints.jsonl`,
 *    `iteration_NNNNNN/train_rollout_summaries.jsonl` (our own fine-tunes write this too, plus
 *    a `run.json`);
 *  - mint-cookbook `artifacts/runs/<name>`: `run.json`, `train/metrics.jsonl`,
 *    `train/checkpoints.jsonl`, `train/rollouts.jsonl`, `eval/periodic.jsonl`.
 * A folder is a run when it has `metrics.jsonl`, `train/metrics.jsonl`, a `run.json` that looks
 * like a run record, or a `config.json` beside tinker-cookbook's `code.diff`, `checkpoints.jsonl`
 * or `iteration_*` folders (a run that has not logged its first step yet). Run folders are not
 * searched further, so a mint-cookbook run's `train/` is never a second run.
 *
 * The walk is bounded (depth, directory entries read, runs found), skips dependency and cache
 * folders, follows symbolic links to folders but enters each real folder once (no loops), and
 * never fails on an unreadable folder. Cloud log paths (s3://, gs://, az://) are not walked:
 * isCloudPath lets the UI say the dashboard reads local folders only.
 *
 * Status: run.json's `status` when it has one; else completed when the last metrics row has
 * `progress` ≥ 0.999 or the last checkpoint is marked `final`; else running when a run file was
 * written in the last 2 minutes; else unknown (shown as "stopped?": it may have crashed).
 */
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { parseJsonLine } from './jsonlTail';
import { iterationOf } from './parsers';

export type RunLayout = 'tinker-cookbook' | 'mint-cookbook';
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';
/** Where the status came from: run.json, the last metrics row / final checkpoint, or file times. */
export type RunStatusSource = 'run.json' | 'progress' | 'activity';

export interface RunFiles {
  metrics?: string;
  checkpoints?: string;
  config?: string;
  runJson?: string;
  periodicEval?: string;
  rollouts?: string;
  /** tinker-cookbook `iteration_*\/train_rollout_summaries.jsonl`, in iteration order. */
  rolloutSummaries: string[];
}

export interface RunFolder {
  /** Absolute path of the run folder. */
  path: string;
  /** The search root it was found under. */
  root: string;
  /** Path relative to the root with "/" separators (the root's own name when the run is the root). */
  name: string;
  layout: RunLayout;
  files: RunFiles;
  status: RunStatus;
  statusFrom: RunStatusSource;
  /** ms since the epoch: run.json's start, else the yyyymmdd-hhmmss at the end of the folder name. */
  startedAt?: number;
  /** ms since the epoch: run.json's end time when it has one. */
  endedAt?: number;
  /** ms since the epoch: the newest modification time among the run's files. */
  updatedAt?: number;
  /** run.json says running but no run file changed for `staleAfterMs`: probably killed. */
  stale?: boolean;
  /** The last metrics row's `progress` (or `progress/done_frac`). */
  progress?: number;
  /** run.json's `error`, for failed runs. */
  error?: string;
  /** mint-cookbook smoke run (folder name starts with `smoke-`). */
  smoke?: boolean;
}

export interface DiscoverOptions {
  /** Folder levels below each root to search. Default 6. */
  maxDepth?: number;
  /** Folder names never entered. Default: node_modules, .git, .venv, venv, site-packages, __pycache__ and a few caches. */
  ignore?: string[];
  /** Directory entries read in total before the search stops. Default 50,000. */
  maxEntries?: number;
  /** Runs found before the search stops. Default 1,000. */
  maxRuns?: number;
  /** A run file written within this many ms means running. Default 2 minutes. */
  activeWithinMs?: number;
  /** run.json says running, yet nothing was written for this long: `stale`. Default 30 minutes. */
  staleAfterMs?: number;
  /** The clock, for tests. */
  now?: number;
}

export interface DiscoverResult {
  runs: RunFolder[];
  /** A bound (maxEntries, maxRuns) stopped the search early. */
  truncated: boolean;
  /** Roots that are cloud URIs and were not searched. */
  cloudRoots: string[];
  /** Folders read. */
  scannedDirs: number;
}

export const DEFAULT_IGNORE: readonly string[] = [
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  'site-packages',
  '__pycache__',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.tox',
];

const ACTIVE_MS = 2 * 60 * 1000;
const STALE_MS = 30 * 60 * 1000;
const RUN_JSON_MAX_BYTES = 4 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;
const PARALLEL = 16;

/** Whether a log path is a cloud URI (s3://, gs://, gcs://, az://, abfs[s]://) rather than a local folder. */
export function isCloudPath(p: string): boolean {
  return /^(s3|gs|gcs|az|abfss?|wasbs?):\/\//i.test(p.trim());
}

/** The run folders under `roots` (see the module comment), sorted by name. */
export async function discoverRuns(roots: string[], opts: DiscoverOptions = {}): Promise<RunFolder[]> {
  return (await scanRuns(roots, opts)).runs;
}

/** discoverRuns with what the search left out. */
export async function scanRuns(roots: string[], opts: DiscoverOptions = {}): Promise<DiscoverResult> {
  const maxDepth = opts.maxDepth ?? 6;
  const ignore = new Set(opts.ignore ?? DEFAULT_IGNORE);
  const maxEntries = opts.maxEntries ?? 50_000;
  const maxRuns = opts.maxRuns ?? 1000;
  const result: DiscoverResult = { runs: [], truncated: false, cloudRoots: [], scannedDirs: 0 };
  const visited = new Set<string>();
  let entries = 0;

  interface Item {
    dir: string;
    real: string;
    root: string;
    depth: number;
  }
  let level: Item[] = [];
  for (const root of roots) {
    if (isCloudPath(root)) {
      result.cloudRoots.push(root);
      continue;
    }
    const real = await fs.realpath(root).catch(() => undefined);
    if (real === undefined || visited.has(real)) continue;
    visited.add(real);
    level.push({ dir: root, real, root, depth: 0 });
  }

  while (level.length > 0) {
    const next: Item[] = [];
    for (let i = 0; i < level.length; i += PARALLEL) {
      if (entries >= maxEntries || result.runs.length >= maxRuns) {
        result.truncated = true;
        break;
      }
      await Promise.all(
        level.slice(i, i + PARALLEL).map(async (item) => {
          const list = await fs.readdir(item.dir, { withFileTypes: true }).catch(() => undefined);
          if (!list) return;
          result.scannedDirs++;
          entries += list.length;
          if (looksLikeRun(list) && (await isRunFolder(item.dir, list))) {
            if (result.runs.length >= maxRuns) {
              result.truncated = true;
              return;
            }
            const run = await inspect(item.dir, list, { ...opts, root: item.root });
            if (run) result.runs.push(run);
            return;
          }
          if (item.depth >= maxDepth) return;
          for (const e of list) {
            if (ignore.has(e.name)) continue;
            let real: string;
            if (e.isDirectory()) real = join(item.real, e.name);
            else if (e.isSymbolicLink()) {
              const target = join(item.dir, e.name);
              const st = await fs.stat(target).catch(() => undefined);
              if (!st?.isDirectory()) continue;
              const r = await fs.realpath(target).catch(() => undefined);
              if (r === undefined) continue;
              real = r;
            } else continue;
            if (visited.has(real)) continue;
            visited.add(real);
            next.push({ dir: join(item.dir, e.name), real, root: item.root, depth: item.depth + 1 });
          }
        }),
      );
    }
    if (result.truncated) break;
    level = next;
  }
  result.runs.sort((a, b) => (a.root === b.root ? compareNames(a.name, b.name) : compareNames(a.root, b.root)));
  return result;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const MARKERS = new Set(['metrics.jsonl', 'run.json', 'train', 'config.json']);

function looksLikeRun(list: Dirent[]): boolean {
  return list.some((e) => MARKERS.has(e.name));
}

async function isRunFolder(dir: string, list: Dirent[]): Promise<boolean> {
  const names = new Set(list.map((e) => e.name));
  if (names.has('metrics.jsonl')) return true;
  if (names.has('train') && (await isFile(join(dir, 'train', 'metrics.jsonl')))) return true;
  if (names.has('run.json')) {
    const rj = await readRunJson(join(dir, 'run.json'));
    if (rj.looksLikeRun) return true;
  }
  if (
    names.has('config.json') &&
    (names.has('code.diff') || names.has('checkpoints.jsonl') || list.some((e) => /^iteration_\d+$/.test(e.name)))
  ) {
    return true;
  }
  return false;
}

async function statOf(p: string): Promise<Stats | undefined> {
  return fs.stat(p).catch(() => undefined);
}

async function isFile(p: string): Promise<boolean> {
  return (await statOf(p))?.isFile() ?? false;
}

export interface RunJsonInfo {
  /** It parsed as an object with fields a run record has (status, args, argv, command…). */
  looksLikeRun: boolean;
  status?: RunStatus;
  /** The status as written, when it is not one of ours (e.g. "paused"). */
  rawStatus?: string;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  value?: unknown;
}

const RUN_JSON_FIELDS = ['status', 'args', 'argv', 'command', 'started_at_unix', 'started_at', 'artifacts', 'experiment'];

/** Reads a run.json (mint-cookbook's two-phase record, or ours); a missing or torn file gives `looksLikeRun: false`. */
export async function readRunJson(path: string): Promise<RunJsonInfo> {
  let text: string;
  try {
    const st = await fs.stat(path);
    if (!st.isFile() || st.size > RUN_JSON_MAX_BYTES) return { looksLikeRun: false };
    text = await fs.readFile(path, 'utf8');
  } catch {
    return { looksLikeRun: false };
  }
  const parsed = parseJsonLine(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!parsed.ok) return { looksLikeRun: false };
  return parseRunJson(parsed.value);
}

/** The status, times and error of a parsed run.json. */
export function parseRunJson(v: unknown): RunJsonInfo {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { looksLikeRun: false, value: v };
  const o = v as Record<string, unknown>;
  const info: RunJsonInfo = { looksLikeRun: RUN_JSON_FIELDS.some((k) => k in o), value: v };
  if (typeof o.status === 'string') {
    const s = normaliseStatus(o.status);
    if (s) info.status = s;
    else info.rawStatus = o.status;
  }
  const timing = typeof o.timing === 'object' && o.timing !== null ? (o.timing as Record<string, unknown>) : {};
  const pick = (keys: string[]): number | undefined => {
    for (const src of [o, timing]) {
      for (const k of keys) {
        const t = toMs(src[k]);
        if (t !== undefined) return t;
      }
    }
    return undefined;
  };
  const started = pick(['started_at_unix', 'started_at', 'start_time', 'startedAt', 'created_at']);
  if (started !== undefined) info.startedAt = started;
  const ended = pick(['ended_at_unix', 'ended_at', 'finished_at', 'end_time', 'completed_at', 'endedAt']);
  if (ended !== undefined) info.endedAt = ended;
  if (typeof o.error === 'string' && o.error) info.error = o.error;
  else if (typeof o.error === 'object' && o.error !== null) {
    const m = (o.error as Record<string, unknown>).message;
    info.error = typeof m === 'string' ? m : JSON.stringify(o.error);
  }
  return info;
}

function normaliseStatus(s: string): RunStatus | undefined {
  const v = s.trim().toLowerCase();
  if (['running', 'started', 'starting', 'in_progress', 'training'].includes(v)) return 'running';
  if (['completed', 'complete', 'succeeded', 'success', 'done', 'finished'].includes(v)) return 'completed';
  if (['failed', 'failure', 'error', 'errored', 'crashed'].includes(v)) return 'failed';
  if (['cancelled', 'canceled', 'killed', 'interrupted', 'aborted', 'stopped'].includes(v)) return 'cancelled';
  if (v === 'unknown') return 'unknown';
  return undefined;
}

/** Seconds or milliseconds since the epoch, or an ISO date, as ms. */
function toMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v > 1e12 ? v : v * 1000;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/** The time in a mint-cookbook run name: `…-YYYYMMDD-HHMMSS` (local time). */
export function timeFromRunName(name: string): number | undefined {
  const m = /(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/**
 * Reads the last complete JSON line of a file from its last `maxBytes` (default 64 KiB) without
 * reading the rest: a metrics row's progress, a checkpoint's `final`. Undefined when there is none.
 */
export async function readLastJsonLine(path: string, maxBytes = TAIL_BYTES): Promise<unknown> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(path, 'r');
    const { size } = await fh.stat();
    const len = Math.min(size, maxBytes);
    if (len === 0) return undefined;
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    // The first piece may be a cut line when the file is longer than maxBytes.
    for (let i = lines.length - 1; i >= (len < size ? 1 : 0); i--) {
      const t = lines[i]!.replace(/^\uFEFF/, '').trim();
      if (!t) continue;
      const p = parseJsonLine(t);
      if (p.ok) return p.value;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export interface InspectOptions extends DiscoverOptions {
  /** The search root, for `name`. Default: the folder's parent. */
  root?: string;
}

/**
 * One run folder's layout, files and status, or undefined when it is not a run folder (or not
 * readable). Call again to refresh the status of a run being watched.
 */
export async function inspectRunFolder(dir: string, opts: InspectOptions = {}): Promise<RunFolder | undefined> {
  const list = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!list || !(await isRunFolder(dir, list))) return undefined;
  return inspect(dir, list, opts);
}

/** inspectRunFolder for a folder already known to be a run, with its entries. */
async function inspect(dir: string, list: Dirent[], opts: InspectOptions): Promise<RunFolder> {
  const now = opts.now ?? Date.now();
  const root = opts.root ?? join(dir, '..');
  const names = new Set(list.map((e) => e.name));

  const candidates = {
    topMetrics: join(dir, 'metrics.jsonl'),
    trainMetrics: join(dir, 'train', 'metrics.jsonl'),
    topCheckpoints: join(dir, 'checkpoints.jsonl'),
    trainCheckpoints: join(dir, 'train', 'checkpoints.jsonl'),
    config: join(dir, 'config.json'),
    runJson: join(dir, 'run.json'),
    periodicEval: join(dir, 'eval', 'periodic.jsonl'),
    rollouts: join(dir, 'train', 'rollouts.jsonl'),
  };
  const hasTrain = names.has('train');
  const hasEval = names.has('eval');
  const st = Object.fromEntries(
    await Promise.all(
      Object.entries(candidates).map(async ([k, p]) => {
        const top = k === 'topMetrics' || k === 'topCheckpoints' || k === 'config' || k === 'runJson';
        const worth = top ? names.has(basename(p)) : k === 'periodicEval' ? hasEval : hasTrain;
        const s = worth ? await statOf(p) : undefined;
        return [k, s?.isFile() ? s : undefined] as const;
      }),
    ),
  ) as Record<keyof typeof candidates, Stats | undefined>;

  const runJson = st.runJson ? await readRunJson(candidates.runJson) : undefined;
  const mintish =
    !!(st.trainMetrics || st.trainCheckpoints || st.periodicEval || st.rollouts) ||
    (!st.topMetrics &&
      runJson?.value !== undefined &&
      typeof runJson.value === 'object' &&
      runJson.value !== null &&
      ('argv' in runJson.value || 'experiment' in runJson.value));
  const layout: RunLayout = mintish && !(st.topMetrics && !st.trainMetrics) ? 'mint-cookbook' : 'tinker-cookbook';

  const files: RunFiles = { rolloutSummaries: [] };
  const pickFile = (a: keyof typeof candidates, b: keyof typeof candidates): string | undefined => {
    const [first, second] = layout === 'mint-cookbook' ? [a, b] : [b, a];
    return st[first] ? candidates[first] : st[second] ? candidates[second] : undefined;
  };
  const metrics = pickFile('trainMetrics', 'topMetrics');
  if (metrics) files.metrics = metrics;
  const checkpoints = pickFile('trainCheckpoints', 'topCheckpoints');
  if (checkpoints) files.checkpoints = checkpoints;
  if (st.config) files.config = candidates.config;
  if (st.runJson) files.runJson = candidates.runJson;
  if (st.periodicEval) files.periodicEval = candidates.periodicEval;
  if (st.rollouts) files.rollouts = candidates.rollouts;

  const iterations = list
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && /^iteration_\d+$/.test(e.name))
    .map((e) => ({ name: e.name, n: iterationOf(e.name) ?? 0 }))
    .sort((a, b) => a.n - b.n);
  let newestSummary: Stats | undefined;
  for (let i = 0; i < iterations.length; i += 64) {
    const found = await Promise.all(
      iterations.slice(i, i + 64).map(async (it) => {
        const p = join(dir, it.name, 'train_rollout_summaries.jsonl');
        const s = await statOf(p);
        return s?.isFile() ? { p, s } : undefined;
      }),
    );
    for (const f of found) {
      if (!f) continue;
      files.rolloutSummaries.push(f.p);
      if (!newestSummary || f.s.mtimeMs > newestSummary.mtimeMs) newestSummary = f.s;
    }
  }

  const name = relative(root, dir).split(sep).join('/') || basename(dir);
  const run: RunFolder = { path: dir, root, name, layout, files, status: 'unknown', statusFrom: 'activity' };
  if (/^smoke-/.test(basename(dir))) run.smoke = true;

  const times = [
    st.topMetrics,
    st.trainMetrics,
    st.topCheckpoints,
    st.trainCheckpoints,
    st.config,
    st.runJson,
    st.periodicEval,
    st.rollouts,
    newestSummary,
  ]
    .filter((s): s is Stats => s !== undefined)
    .map((s) => s.mtimeMs);
  if (times.length) run.updatedAt = Math.max(...times);
  const started = runJson?.startedAt ?? timeFromRunName(basename(dir));
  if (started !== undefined) run.startedAt = started;
  if (runJson?.endedAt !== undefined) run.endedAt = runJson.endedAt;
  if (runJson?.error) run.error = runJson.error;

  const last = metrics ? await readLastJsonLine(metrics) : undefined;
  if (typeof last === 'object' && last !== null) {
    const row = last as Record<string, unknown>;
    const p = typeof row.progress === 'number' ? row.progress : row['progress/done_frac'];
    if (typeof p === 'number' && Number.isFinite(p)) run.progress = p;
  }
  let finalCheckpoint = false;
  if (checkpoints && runJson?.status === undefined && !(run.progress !== undefined && run.progress >= 0.999)) {
    const lastCk = await readLastJsonLine(checkpoints);
    finalCheckpoint = isObj(lastCk) && lastCk.final === true;
  }

  const active = run.updatedAt !== undefined && now - run.updatedAt <= (opts.activeWithinMs ?? ACTIVE_MS);
  if (runJson?.status !== undefined) {
    run.status = runJson.status;
    run.statusFrom = 'run.json';
    if (run.status === 'running' && run.updatedAt !== undefined && now - run.updatedAt > (opts.staleAfterMs ?? STALE_MS)) run.stale = true;
  } else if ((run.progress !== undefined && run.progress >= 0.999) || finalCheckpoint) {
    run.status = 'completed';
    run.statusFrom = 'progress';
  } else if (active) {
    run.status = 'running';
    run.statusFrom = 'activity';
  }
  return run;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short status for lists: running, running? (stale), completed, failed, cancelled, stopped? (unknown). */
export function runStatusLabel(run: Pick<RunFolder, 'status' | 'stale'>): string {
  if (run.status === 'running') return run.stale ? 'running?' : 'running';
  if (run.status === 'unknown') return 'stopped?';
  return run.status;
}
