/**
 * The run dashboard's host <-> webview protocol, written once and imported by both sides. The page
 * parses every host message with `HostToDashboardSchema` and drops what does not fit; the host
 * parses page messages with `DashboardToHostSchema` the same way. No vscode or DOM import.
 *
 * ## The page (what the host's HTML must load)
 * - `dist/webview/dashboard.js` as one `<script nonce="…" src="…">` (an iife bundle, uPlot inside);
 * - `dist/webview/dashboard.css` as one `<link rel="stylesheet">` (uPlot's stylesheet + the page's);
 * - a `<div id="app"></div>` in the body (the page falls back to `document.body`).
 * CSP as for the playground (src/vscode/playground/provider.ts): `default-src 'none'; style-src
 * ${cspSource}; font-src ${cspSource}; img-src ${cspSource} data:; script-src 'nonce-…'`. The page
 * sets styles through the CSSOM only (element.style.x = …), which that CSP allows; it has no inline
 * script, no inline style attribute, no eval, and loads nothing from the network. Local resource
 * roots: `dist/` (and `media/` if the host shares it). Exported images travel as messages, so
 * nothing needs `blob:`.
 *
 * ## Message flow
 * 1. The page posts `ready` once its listener is attached (also after a reload of the panel).
 * 2. The host answers `init` (runs, the selected ones, metric groups, settings), then, for every
 *    selected run and metric key, one `series` (the whole column, downsampled by the host to a few
 *    thousand points), then `checkpoints` and `status` per selected run.
 * 3. While a run writes, the host tails metrics.jsonl and posts `append` with the new rows (never a
 *    re-read); a truncated file (fresh run in the same log path) is a `series` with `reset: true`.
 * 4. `select` from the page: the host sends `series`/`checkpoints`/`status` for runs it has not sent
 *    yet (the page keeps what it already has). `settings` from the page: the host keeps them for
 *    the next `init`; when `xKey` changed it re-sends every `series` (x values change meaning).
 * 5. `requestSamples` / `requestConfigDiff` are answered with `samples` / `configDiff`.
 * 6. `openCheckpoint`: the host opens the playground comparing that sampler checkpoint with its
 *    base model. `export`: the host asks where to save and writes the PNG or SVG.
 * A later `init` replaces the run list, groups and settings; data of runs still listed is kept
 * (unless `settings.xKey` changed).
 *
 * Numbers: JSON-like only. A missing or non-finite value (NaN, ±Infinity) is `null`; the page draws
 * it as a gap. `x` must be finite. With `xKey: 'time'`, x is seconds since the run's first row.
 */
import { z } from 'zod';

/** Runs overlaid at once, at most. */
export const MAX_OVERLAY = 8;
/** Metric keys grouped by their prefix before the first "/"; keys with another prefix or none are `other`. */
export const GROUP_NAMES = ['train', 'test', 'env', 'optim', 'time', 'other'] as const;
export type GroupName = (typeof GROUP_NAMES)[number];
/** Keys charted first within their group, in this order: the loss or reward people look at first. */
export const PRIMARY_KEYS: readonly string[] = ['train_mean_nll', 'loss', 'dpo_loss', 'test/nll', 'reward_mean', 'env/all/reward/total'];

export const DashboardRunIdSchema = z.string().min(1).max(1000);
export const MetricKeySchema = z.string().min(1).max(500);
export const RunStatusSchema = z.enum(['running', 'completed', 'failed', 'unknown']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunInfoSchema = z.object({
  id: DashboardRunIdSchema,
  /** What the run picker shows (the folder name, usually). */
  name: z.string().max(500),
  /** The run folder, shown as a tooltip. */
  path: z.string().max(4096),
  /** Which writer made the folder, e.g. "mint-cookbook", "tinker-cookbook", "mint-vscode". Shown as is. */
  layout: z.string().max(100),
  status: RunStatusSchema,
  /** A colour to keep for this run (#rrggbb); else the page picks one from its colour-blind-safe palette. */
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .optional(),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

export const SettingsSchema = z.object({
  /** TensorBoard-style debiased EMA weight; 0 = raw. */
  ema: z.number().min(0).max(0.99),
  /** Log y scale (positive values only; the page says which charts have others). */
  logScale: z.boolean(),
  /** What x means in `series`/`append`: the step, `progress` (0..1), or seconds since the run's first row. */
  xKey: z.enum(['step', 'progress', 'time']),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = { ema: 0.6, logScale: false, xKey: 'step' };

export const MetricGroupSchema = z.object({ name: z.enum(GROUP_NAMES), keys: z.array(MetricKeySchema).max(5000) });
export type MetricGroup = z.infer<typeof MetricGroupSchema>;

const Value = z.number().nullable();

export const CheckpointSchema = z.object({
  name: z.string().max(500),
  step: z.number(),
  /** `save_weights_for_sampler` path: the marker is clickable (opens the playground). */
  sampler_path: z.string().min(1).max(2000).optional(),
  /** `save_state` path (weights + optimizer): shown, not clickable. */
  state_path: z.string().min(1).max(2000).optional(),
  final: z.boolean().optional(),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

const Text = z.string().max(1_000_000);
/** One eval sample (eval/periodic.jsonl) or one rollout (train/rollouts.jsonl, rollout summaries). */
export const SampleItemSchema = z.object({
  id: z.string().max(500).optional(),
  prompt: Text.optional(),
  prediction: Text.optional(),
  expected: Text.optional(),
  correct: z.boolean().optional(),
  reward: z.number().optional(),
  text: Text.optional(),
});
export type SampleItem = z.infer<typeof SampleItemSchema>;

export const SampleStepSchema = z.object({
  step: z.number(),
  items: z.array(SampleItemSchema).max(10_000),
  /** Every reward of that step, for the histogram (trajectory rewards); else the items' `reward`s are used. */
  rewards: z.array(z.number()).max(1_000_000).optional(),
});
export type SampleStep = z.infer<typeof SampleStepSchema>;

export const SampleKindSchema = z.enum(['eval', 'rollouts']);
export type SampleKind = z.infer<typeof SampleKindSchema>;

export const ConfigDiffRowSchema = z.object({
  key: z.string().max(2000),
  /** The value in run a, as text (JSON for non-strings); absent when a does not set the key. */
  a: z.string().max(100_000).optional(),
  b: z.string().max(100_000).optional(),
  same: z.boolean(),
});
export type ConfigDiffRow = z.infer<typeof ConfigDiffRowSchema>;

// ---------- host -> page ----------

export const HostToDashboardSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    runs: z.array(RunInfoSchema).max(10_000),
    /** Run ids shown (overlaid), 0 when there are no runs, at most MAX_OVERLAY. */
    selected: z.array(DashboardRunIdSchema).max(MAX_OVERLAY),
    groups: z.array(MetricGroupSchema).max(GROUP_NAMES.length),
    settings: SettingsSchema,
  }),
  /** One metric column of one run, whole; replaces what the page had for that run and key. */
  z.object({
    type: z.literal('series'),
    runId: DashboardRunIdSchema,
    key: MetricKeySchema,
    x: z.array(z.number()).max(2_000_000),
    y: z.array(Value).max(2_000_000),
    /** The run's metrics file started over (truncated): drop every other key of this run first. */
    reset: z.boolean().optional(),
  }),
  /** Rows the run wrote since the last message, in file order. A key missing from `values` has no point at that x. */
  z.object({
    type: z.literal('append'),
    runId: DashboardRunIdSchema,
    rows: z
      .array(z.object({ x: z.number(), values: z.record(MetricKeySchema, Value) }))
      .min(1)
      .max(100_000),
  }),
  /** The run's checkpoints, all of them (replaces the previous list). */
  z.object({ type: z.literal('checkpoints'), runId: DashboardRunIdSchema, items: z.array(CheckpointSchema).max(100_000) }),
  /**
   * Samples of a run: the steps asked for (or the latest when no step was asked), and every step
   * the file has so the page can offer them (`availableSteps`, ascending).
   */
  z.object({
    type: z.literal('samples'),
    runId: DashboardRunIdSchema,
    kind: SampleKindSchema,
    steps: z.array(SampleStepSchema).max(10_000),
    availableSteps: z.array(z.number()).max(1_000_000).optional(),
  }),
  z.object({
    type: z.literal('configDiff'),
    a: DashboardRunIdSchema,
    b: DashboardRunIdSchema,
    rows: z.array(ConfigDiffRowSchema).max(100_000),
  }),
  /** `updatedAt`: ISO 8601 time of the run's last write. */
  z.object({ type: z.literal('status'), runId: DashboardRunIdSchema, status: RunStatusSchema, updatedAt: z.string().max(100) }),
  /** A line for the page's notice area (a file that could not be read, a failed export). */
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warning', 'error']), message: z.string().max(10_000) }),
]);
export type HostToDashboard = z.infer<typeof HostToDashboardSchema>;

// ---------- page -> host ----------

const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;

export const DashboardToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('select'), runIds: z.array(DashboardRunIdSchema).max(MAX_OVERLAY) }),
  z.object({ type: z.literal('settings'), settings: SettingsSchema }),
  /** Open this sampler checkpoint in the playground, compared with its base model. */
  z.object({ type: z.literal('openCheckpoint'), runId: DashboardRunIdSchema, sampler_path: z.string().min(1).max(2000) }),
  /** No step: the latest step, and the list of steps. */
  z.object({ type: z.literal('requestSamples'), runId: DashboardRunIdSchema, kind: SampleKindSchema, step: z.number().optional() }),
  z.object({ type: z.literal('requestConfigDiff'), a: DashboardRunIdSchema, b: DashboardRunIdSchema }),
  /** One chart as a file: PNG as a base64 data: URL, SVG as markup. `key` is the metric key (a file name hint). */
  z
    .object({
      type: z.literal('export'),
      format: z.enum(['png', 'svg']),
      key: MetricKeySchema,
      dataUrl: z.string().max(64_000_000).optional(),
      svg: z.string().max(64_000_000).optional(),
    })
    .refine(
      (m) =>
        m.format === 'png' ? m.dataUrl !== undefined && PNG_DATA_URL.test(m.dataUrl) : m.svg !== undefined && /^<svg[\s>]/.test(m.svg),
      {
        message: 'A PNG export carries dataUrl (data:image/png;base64,…), an SVG export carries svg (<svg …>).',
      },
    ),
]);
export type DashboardToHost = z.infer<typeof DashboardToHostSchema>;

/** The group a metric key belongs to: its prefix before the first "/" when it is a known one, else `other`. */
export function groupOf(key: string): GroupName {
  const slash = key.indexOf('/');
  const prefix = slash > 0 ? key.slice(0, slash) : '';
  return (GROUP_NAMES as readonly string[]).includes(prefix) && prefix !== 'other' ? (prefix as GroupName) : 'other';
}

/** Keys in chart order: PRIMARY_KEYS first (in their order), then the others as given. */
export function orderKeys(keys: readonly string[]): string[] {
  const primary = PRIMARY_KEYS.filter((k) => keys.includes(k));
  return [...primary, ...keys.filter((k) => !PRIMARY_KEYS.includes(k))];
}
