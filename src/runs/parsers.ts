/**
 * Readers for the smaller run files, as rows come out of JsonlTail: checkpoint records (both
 * cookbooks, and the checkpoint columns of mint-cookbook RL metrics rows), config.json flattening
 * and diffing, periodic eval samples, rollout records and a reward histogram.
 *
 * Every parser takes what it can: a missing field is left undefined, a field of the wrong type is
 * ignored, and a row that cannot be used at all is reported in `problems` by its index in the
 * input (JsonlTail's `lines` maps that index to a file line) and skipped.
 */

export interface RowProblem {
  /** Index of the row in the array given to the parser. */
  row: number;
  message: string;
}

export interface Parsed<T> {
  items: T[];
  problems: RowProblem[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

/** A number, or NaN for Python's non-finite values ("NaN", "Infinity" after JsonlTail), else undefined. */
function numOrNaN(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (typeof v === 'string' && /^[+-]?(nan|inf|infinity)$/i.test(v)) return NaN;
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? 'a string' : `a ${typeof v}`;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

export interface CheckpointRecord {
  name?: string;
  /** `step`, else `batch` (tinker-cookbook), else `completed_steps` (mint-cookbook RL). */
  step?: number;
  epoch?: number;
  batch?: number;
  /** `save_state` path (weights + optimizer): what resumes training. */
  statePath?: string;
  /** `save_weights_for_sampler` path: what the playground samples from. */
  samplerPath?: string;
  final: boolean;
  /** Index of the source row. */
  row: number;
}

const STATE_KEYS = ['state_path', 'checkpoint_state_path'];
const SAMPLER_KEYS = ['sampler_path', 'checkpoint_sampler_path'];
const NAME_KEYS = ['name', 'checkpoint_name'];

function first(row: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = str(row[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Checkpoint records from checkpoints.jsonl rows (`{name, step|batch|completed_steps, epoch,
 * state_path, sampler_path, final}`) or from metrics rows carrying `checkpoint_name`,
 * `checkpoint_state_path`, `checkpoint_sampler_path` (mint-cookbook GRPO). With
 * `source: 'metrics'` rows without checkpoint paths are skipped quietly; with the default
 * `source: 'checkpoints'` they are problems. A record whose paths repeat an earlier one replaces it
 * (a resumed run re-saving a name), keeping the first one's position.
 */
export function parseCheckpoints(rows: readonly unknown[], opts: { source?: 'checkpoints' | 'metrics' } = {}): Parsed<CheckpointRecord> {
  const fromMetrics = opts.source === 'metrics';
  const items: CheckpointRecord[] = [];
  const problems: RowProblem[] = [];
  const seen = new Map<string, number>();
  rows.forEach((r, row) => {
    if (!isObject(r)) {
      if (!fromMetrics) problems.push({ row, message: `A checkpoint row must be a JSON object, not ${describe(r)}.` });
      return;
    }
    const statePath = first(r, STATE_KEYS);
    const samplerPath = first(r, SAMPLER_KEYS);
    if (statePath === undefined && samplerPath === undefined) {
      if (!fromMetrics) problems.push({ row, message: 'This checkpoint row has neither state_path nor sampler_path.' });
      return;
    }
    const step = num(r.step) ?? num(r.batch) ?? num(r.completed_steps);
    const rec: CheckpointRecord = { final: bool(r.final) ?? false, row };
    const name = first(r, NAME_KEYS);
    if (name !== undefined) rec.name = name;
    if (step !== undefined) rec.step = step;
    const epoch = num(r.epoch);
    if (epoch !== undefined) rec.epoch = epoch;
    const batch = num(r.batch);
    if (batch !== undefined) rec.batch = batch;
    if (statePath !== undefined) rec.statePath = statePath;
    if (samplerPath !== undefined) rec.samplerPath = samplerPath;
    const key = `${statePath ?? ''}\u0000${samplerPath ?? ''}`;
    const at = seen.get(key);
    if (at !== undefined) items[at] = rec;
    else {
      seen.set(key, items.length);
      items.push(rec);
    }
  });
  return { items, problems };
}

/** Whether a path names sampler weights (`…/sampler_weights/…`, tinker:// or mint://), which the playground can open. */
export function isSamplerPath(p: string): boolean {
  return /^(tinker|mint):\/\/.+\/sampler_weights\/./.test(p);
}

// ---------------------------------------------------------------------------------------------
// Config

const MAX_CONFIG_DEPTH = 24;
const MAX_CONFIG_ENTRIES = 20_000;

/**
 * A JSON value as `path → text` for a side-by-side diff. Object members join with ".", array items
 * as `[i]`; arrays of scalars only are one entry (`["q_proj","v_proj"]`), as are empty objects and
 * arrays. Strings are shown as they are, everything else as JSON. A scalar at the top is the entry "".
 */
export function flattenConfig(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  const walk = (v: unknown, path: string, depth: number): void => {
    if (count >= MAX_CONFIG_ENTRIES) return;
    if (Array.isArray(v)) {
      if (v.length === 0 || depth >= MAX_CONFIG_DEPTH || v.every((e) => !isObject(e) && !Array.isArray(e))) {
        out[path] = JSON.stringify(v);
        count++;
        return;
      }
      v.forEach((e, i) => walk(e, `${path}[${i}]`, depth + 1));
      return;
    }
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0 || depth >= MAX_CONFIG_DEPTH) {
        out[path] = JSON.stringify(v);
        count++;
        return;
      }
      for (const k of keys) walk(v[k], path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    out[path] = typeof v === 'string' ? v : v === undefined ? 'undefined' : JSON.stringify(v);
    count++;
  };
  walk(value, '', 0);
  return out;
}

export interface ConfigDiffEntry {
  key: string;
  a?: string;
  b?: string;
  same: boolean;
}

/**
 * Two configs side by side: every flattened key of either (a's order, then keys only b has), with
 * both values and whether they are equal. Takes raw JSON values (see flattenConfig).
 */
export function diffConfigs(a: unknown, b: unknown): ConfigDiffEntry[] {
  const fa = flattenConfig(a);
  const fb = flattenConfig(b);
  const out: ConfigDiffEntry[] = [];
  for (const key of Object.keys(fa)) {
    const e: ConfigDiffEntry = { key, a: fa[key], same: Object.hasOwn(fb, key) && fb[key] === fa[key] };
    if (Object.hasOwn(fb, key)) e.b = fb[key];
    out.push(e);
  }
  for (const key of Object.keys(fb)) if (!Object.hasOwn(fa, key)) out.push({ key, b: fb[key], same: false });
  return out;
}

/**
 * The configuration to diff for a run: config.json when there is one (tinker-cookbook, our own
 * fine-tunes), else run.json's `args` (mint-cookbook), else run.json without its bookkeeping.
 */
export function runConfig(configJson: unknown, runJson: unknown): unknown {
  if (configJson !== undefined && configJson !== null) return configJson;
  if (!isObject(runJson)) return undefined;
  if (isObject(runJson.args)) return runJson.args;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(runJson)) {
    if (!['status', 'started_at_unix', 'ended_at_unix', 'duration_seconds', 'error', 'artifacts', 'env'].includes(k)) rest[k] = v;
  }
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Periodic eval (mint-cookbook eval/periodic.jsonl)

export interface EvalSample {
  id?: string;
  prediction?: string;
  expected?: string;
  correct?: boolean;
  assistantText?: string;
  /** Other scalar fields of the sample, as given. */
  extra: Record<string, string | number | boolean>;
}

export interface PeriodicEval {
  step?: number;
  /** The row's numeric fields other than step (accuracy, nll…); NaN for Python NaN/Infinity. */
  scalars: Record<string, number>;
  samples: EvalSample[];
  row: number;
}

const SAMPLE_FIELDS = new Set(['id', 'prediction', 'expected', 'correct', 'assistant_text']);

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return undefined;
  return JSON.stringify(v);
}

/** `{step, <scalars>, samples: [{id, prediction, correct, expected, assistant_text}]}` rows. */
export function parsePeriodicEval(rows: readonly unknown[]): Parsed<PeriodicEval> {
  const items: PeriodicEval[] = [];
  const problems: RowProblem[] = [];
  rows.forEach((r, row) => {
    if (!isObject(r)) {
      problems.push({ row, message: `A periodic eval row must be a JSON object, not ${describe(r)}.` });
      return;
    }
    const ev: PeriodicEval = { scalars: {}, samples: [], row };
    const step = num(r.step);
    if (step !== undefined) ev.step = step;
    for (const [k, v] of Object.entries(r)) {
      if (k === 'step' || k === 'samples') continue;
      const n = numOrNaN(v);
      if (n !== undefined) ev.scalars[k] = n;
    }
    if (r.samples !== undefined && !Array.isArray(r.samples))
      problems.push({ row, message: `"samples" should be an array, not ${describe(r.samples)}.` });
    else if (Array.isArray(r.samples)) {
      r.samples.forEach((s, i) => {
        if (!isObject(s)) {
          problems.push({ row, message: `samples[${i}] should be an object, not ${describe(s)}.` });
          return;
        }
        const sample: EvalSample = { extra: {} };
        const id = scalarText(s.id);
        if (id !== undefined) sample.id = id;
        const prediction = scalarText(s.prediction);
        if (prediction !== undefined) sample.prediction = prediction;
        const expected = scalarText(s.expected);
        if (expected !== undefined) sample.expected = expected;
        const correct = bool(s.correct);
        if (correct !== undefined) sample.correct = correct;
        if (typeof s.assistant_text === 'string') sample.assistantText = s.assistant_text;
        for (const [k, v] of Object.entries(s)) {
          if (SAMPLE_FIELDS.has(k)) continue;
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') sample.extra[k] = v;
        }
        ev.samples.push(sample);
      });
    }
    if (ev.step === undefined && Object.keys(ev.scalars).length === 0 && ev.samples.length === 0) {
      problems.push({ row, message: 'This eval row has no step, scalars or samples.' });
      return;
    }
    items.push(ev);
  });
  return { items, problems };
}

// ---------------------------------------------------------------------------------------------
// Rollouts

export interface Trajectory {
  reward?: number;
  correct?: boolean;
  answer?: string;
  advantage?: number;
  tokens?: number;
}

/** One prompt group's rollouts at one step (mint-cookbook train/rollouts.jsonl row). */
export interface RolloutGroup {
  step?: number;
  id?: string;
  question?: string;
  goldAnswer?: string;
  numCorrect?: number;
  rewardMean?: number;
  rewardMin?: number;
  rewardMax?: number;
  status?: string;
  firstTrajectoryText?: string;
  trajectories: Trajectory[];
  row: number;
}

function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/**
 * mint-cookbook GRPO rollout rows: `{step, id, question, gold_answer, num_correct,
 * reward_mean/min/max, trajectory_rewards[], trajectory_correct[], trajectory_answers[],
 * trajectory_advantages[], trajectory_token_counts[], first_trajectory_text, status}`.
 * Trajectories are zipped from the parallel arrays (the longest decides how many); reward
 * mean/min/max are computed from trajectory_rewards when the row lacks them.
 */
export function parseRollouts(rows: readonly unknown[]): Parsed<RolloutGroup> {
  const items: RolloutGroup[] = [];
  const problems: RowProblem[] = [];
  rows.forEach((r, row) => {
    if (!isObject(r)) {
      problems.push({ row, message: `A rollout row must be a JSON object, not ${describe(r)}.` });
      return;
    }
    const g: RolloutGroup = { trajectories: [], row };
    const step = num(r.step);
    if (step !== undefined) g.step = step;
    const id = scalarText(r.id);
    if (id !== undefined) g.id = id;
    const question = str(r.question) ?? str(r.prompt);
    if (question !== undefined) g.question = question;
    const gold = scalarText(r.gold_answer ?? r.answer);
    if (gold !== undefined) g.goldAnswer = gold;
    const numCorrect = num(r.num_correct);
    if (numCorrect !== undefined) g.numCorrect = numCorrect;
    const status = str(r.status);
    if (status !== undefined) g.status = status;
    const text = str(r.first_trajectory_text);
    if (text !== undefined) g.firstTrajectoryText = text;
    const rewards = arr(r.trajectory_rewards);
    const correct = arr(r.trajectory_correct);
    const answers = arr(r.trajectory_answers);
    const advantages = arr(r.trajectory_advantages);
    const tokens = arr(r.trajectory_token_counts);
    for (const [name, v] of [
      ['trajectory_rewards', r.trajectory_rewards],
      ['trajectory_correct', r.trajectory_correct],
    ] as const) {
      if (v !== undefined && !Array.isArray(v)) problems.push({ row, message: `"${name}" should be an array, not ${describe(v)}.` });
    }
    const count = Math.max(rewards?.length ?? 0, correct?.length ?? 0, answers?.length ?? 0, advantages?.length ?? 0, tokens?.length ?? 0);
    for (let i = 0; i < count; i++) {
      const t: Trajectory = {};
      const rw = numOrNaN(rewards?.[i]);
      if (rw !== undefined) t.reward = rw;
      const c = bool(correct?.[i]);
      if (c !== undefined) t.correct = c;
      const a = scalarText(answers?.[i]);
      if (a !== undefined) t.answer = a;
      const adv = num(advantages?.[i]);
      if (adv !== undefined) t.advantage = adv;
      const tk = num(tokens?.[i]);
      if (tk !== undefined) t.tokens = tk;
      g.trajectories.push(t);
    }
    const finite = g.trajectories.map((t) => t.reward).filter((v): v is number => v !== undefined && Number.isFinite(v));
    g.rewardMean = num(r.reward_mean) ?? (finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : undefined);
    g.rewardMin = num(r.reward_min) ?? (finite.length ? Math.min(...finite) : undefined);
    g.rewardMax = num(r.reward_max) ?? (finite.length ? Math.max(...finite) : undefined);
    for (const k of ['rewardMean', 'rewardMin', 'rewardMax'] as const) if (g[k] === undefined) delete g[k];
    if (g.step === undefined && g.id === undefined && g.question === undefined && count === 0 && g.rewardMean === undefined) {
      problems.push({ row, message: 'This rollout row has no step, id, question or rewards.' });
      return;
    }
    items.push(g);
  });
  return { items, problems };
}

/** One trajectory of a tinker-cookbook `iteration_NNNNNN/train_rollout_summaries.jsonl`. */
export interface RolloutSummary {
  iteration?: number;
  group?: number;
  trajectory?: number;
  split?: string;
  tags: string[];
  totalReward?: number;
  finalReward?: number;
  /** Scalar trajectory_metrics (correct, format, …). */
  metrics: Record<string, number>;
  /** Transitions in the trajectory (`steps`), and their action tokens. */
  turns?: number;
  actionTokens?: number;
  row: number;
}

/**
 * tinker-cookbook rollout summary rows (`{schema_version, split, iteration, group_idx, traj_idx,
 * tags, total_reward, final_reward, trajectory_metrics, steps: [{ac_len, reward, …}]}`). When a
 * row has no `iteration`, `iteration` (e.g. parsed from the iteration_NNNNNN folder) is used.
 */
export function parseRolloutSummaries(rows: readonly unknown[], iteration?: number): Parsed<RolloutSummary> {
  const items: RolloutSummary[] = [];
  const problems: RowProblem[] = [];
  rows.forEach((r, row) => {
    if (!isObject(r)) {
      problems.push({ row, message: `A rollout summary row must be a JSON object, not ${describe(r)}.` });
      return;
    }
    const s: RolloutSummary = { tags: [], metrics: {}, row };
    const it = num(r.iteration) ?? iteration;
    if (it !== undefined) s.iteration = it;
    const group = num(r.group_idx);
    if (group !== undefined) s.group = group;
    const traj = num(r.traj_idx);
    if (traj !== undefined) s.trajectory = traj;
    const split = str(r.split);
    if (split !== undefined) s.split = split;
    if (Array.isArray(r.tags)) s.tags = r.tags.filter((t): t is string => typeof t === 'string');
    const total = numOrNaN(r.total_reward);
    if (total !== undefined) s.totalReward = total;
    const fin = numOrNaN(r.final_reward);
    if (fin !== undefined) s.finalReward = fin;
    if (isObject(r.trajectory_metrics)) {
      for (const [k, v] of Object.entries(r.trajectory_metrics)) {
        const n = typeof v === 'boolean' ? Number(v) : numOrNaN(v);
        if (n !== undefined) s.metrics[k] = n;
      }
    }
    if (Array.isArray(r.steps)) {
      s.turns = r.steps.length;
      let tokens = 0;
      for (const st of r.steps) if (isObject(st)) tokens += num(st.ac_len) ?? 0;
      s.actionTokens = tokens;
    }
    if (s.totalReward === undefined && s.finalReward === undefined && Object.keys(s.metrics).length === 0) {
      problems.push({ row, message: 'This rollout summary has no total_reward, final_reward or trajectory_metrics.' });
      return;
    }
    items.push(s);
  });
  return { items, problems };
}

/** The iteration number of an `iteration_NNNNNN` folder or a path inside one. */
export function iterationOf(path: string): number | undefined {
  const m = /(?:^|[\\/])iteration_(\d+)(?:[\\/]|$)/.exec(path);
  return m ? Number(m[1]) : undefined;
}

/** Every finite trajectory reward of mint-cookbook groups, or total_reward of tinker-cookbook summaries. */
export function rewardsOf(items: readonly (RolloutGroup | RolloutSummary)[]): number[] {
  const out: number[] = [];
  for (const it of items) {
    if ('trajectories' in it) {
      for (const t of it.trajectories) if (t.reward !== undefined && Number.isFinite(t.reward)) out.push(t.reward);
    } else if (it.totalReward !== undefined && Number.isFinite(it.totalReward)) out.push(it.totalReward);
  }
  return out;
}

export interface Histogram {
  /** bins + 1 ascending edges; bin i holds edges[i] <= v < edges[i+1] (the last bin includes its upper edge). */
  edges: number[];
  counts: number[];
  /** Values counted (finite ones). */
  total: number;
  /** Values left out because they were NaN or infinite. */
  skipped: number;
  min?: number;
  max?: number;
  mean?: number;
}

/**
 * A histogram of rewards in `bins` equal-width bins (1–1000, default 20) between the smallest and
 * largest finite value. When every value is the same, one bin of width 1 centred on it. Rewards
 * that are all integers spanning fewer values than `bins` (0/1 correctness) get one bin per integer.
 */
export function rewardHistogram(rewards: readonly number[], bins = 20): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let total = 0;
  let skipped = 0;
  let integral = true;
  for (const v of rewards) {
    if (!Number.isFinite(v)) {
      skipped++;
      continue;
    }
    total++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  const nb = Math.min(1000, Math.max(1, Math.floor(bins) || 1));
  if (total === 0) return { edges: [], counts: [], total, skipped };
  // One bin per value when the values are few integers (or all the same), else nb equal bins.
  const perValue = max === min || (integral && max - min + 1 <= nb);
  const lo = perValue ? min - 0.5 : min;
  const width = perValue ? 1 : (max - min) / nb;
  const count = perValue ? max - min + 1 : nb;
  const edges = Array.from({ length: count + 1 }, (_, i) => lo + i * width);
  if (!perValue) edges[count] = max; // no rounding drift on the top edge
  const counts = new Array<number>(count).fill(0);
  for (const v of rewards) {
    if (!Number.isFinite(v)) continue;
    const i = Math.min(count - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[i]!++;
  }
  return { edges, counts, total, skipped, min, max, mean: sum / total };
}
