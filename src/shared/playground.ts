/**
 * The playground's host <-> webview protocol, written once and imported by both sides. The host
 * parses every message from the webview with `WebviewToHostSchema` and drops (and logs) what does
 * not fit; the webview parses host messages with `HostToWebviewSchema` the same way. No vscode or
 * DOM import.
 *
 * Handshake: the webview posts `ready` once its listener is attached; the host answers with one
 * `state` message that replays everything (form draft, models, recent runs, history list), so a
 * hidden, moved or reloaded view loses nothing.
 *
 * Several pages can be open at once (the sidebar and an editor panel). What the host sends is of
 * two kinds: a `HostReply` goes only to the page whose message it answers (its code, its token
 * count, its notice), while `SharedState` goes to every page, so they all show the same runs.
 */
import { z } from 'zod';

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(1_000_000),
});

/** What the user typed. The host turns it into tokens (chat template or raw) or, with no tokenizer, into OpenAI-style text. */
export const PromptSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('chat'),
    messages: z.array(ChatMessageSchema).min(1).max(200),
    enable_thinking: z.boolean().optional(),
  }),
  z.object({ mode: z.literal('raw'), text: z.string().min(1, 'Type a prompt first.').max(4_000_000) }),
]);
export type Prompt = z.infer<typeof PromptSchema>;

/**
 * The parameters form. Ranges are the ones the MinT sampler accepts; the same schema validates
 * inline in the webview and again in the host, so a message can never bypass the form's checks.
 */
export const ParamsSchema = z.object({
  max_tokens: z
    .number({ error: 'Max tokens is required.' })
    .int('Max tokens must be a whole number.')
    .min(1, 'Max tokens must be at least 1.')
    .max(131_072, 'Max tokens is at most 131072.'),
  temperature: z.number().min(0, 'Temperature must be 0 or more.').max(5, 'Temperature above 5 only gives noise.').optional(),
  top_p: z.number().gt(0, 'Top-p must be above 0.').max(1, 'Top-p is at most 1.').optional(),
  top_k: z
    .number()
    .int('Top-k must be a whole number.')
    .min(-1, 'Top-k is -1 (no limit) or a positive number.')
    .refine((k) => k !== 0, 'Top-k is -1 (no limit) or a positive number.')
    .optional(),
  seed: z
    .number()
    .int('Seed must be a whole number.')
    .min(0, 'Seed must be 0 or more.')
    .max(2 ** 53 - 1)
    .optional(),
  stop: z.array(z.string().min(1, 'A stop string cannot be empty.')).max(16, 'At most 16 stop strings.').optional(),
  /** Fan-out: up to 64 per target, in one request (MinT sets no upper bound; the emulator's is 128). */
  num_samples: z.number().int('Samples must be a whole number.').min(1, 'At least 1 sample.').max(64, 'At most 64 samples per target.'),
  prompt_logprobs: z.boolean(),
  topk_prompt_logprobs: z.number().int().min(0, 'Top-k prompt logprobs must be 0 or more.').max(20, 'Top-k prompt logprobs is at most 20.'),
  /**
   * Alternatives for every generated token, top-k of them: the server's `topk_sample_logprobs`
   * where it has it, else one scoring request per sample (prompt + completion, top-k prompt logprobs).
   */
  topk_sample_logprobs: z
    .number()
    .int('Top-k generated must be a whole number.')
    .min(0, 'Top-k generated must be 0 or more.')
    .max(20, 'Top-k generated is at most 20.')
    .optional(),
});
export type Params = z.infer<typeof ParamsSchema>;

export const DEFAULT_PARAMS: Params = { max_tokens: 64, temperature: 0.7, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 };

/** What to sample: a base model or a sampler checkpoint path (mint:// or tinker://). */
export const TargetSchema = z.union([
  z.object({ base_model: z.string().min(1).max(300) }),
  z.object({ model_path: z.string().min(1).max(2000) }),
]);
export type Target = z.infer<typeof TargetSchema>;

export function targetLabel(t: Target): string {
  return 'base_model' in t ? t.base_model : t.model_path;
}

/**
 * What tells targets apart in a narrow column: a checkpoint's name comes first, since paths of
 * one run share their whole prefix ("mint://<run>/sampler_weights/pg-late" -> "pg-late · 27dafe4a").
 */
export function shortTargetLabel(t: Target): string {
  if ('base_model' in t) return t.base_model;
  const m = /^[a-z]+:\/\/([^/]+)\/(?:sampler_)?weights\/(.+)$/.exec(t.model_path);
  return m ? `${m[2]} · ${m[1]!.slice(0, 8)}` : t.model_path;
}

/** The form as the user left it; kept by the host so a reload restores it. */
export const DraftSchema = z.object({
  targets: z.array(TargetSchema).max(4),
  // Looser than PromptSchema: a half-written form (empty text, no messages yet) is still worth keeping.
  prompt: z.object({
    mode: z.enum(['chat', 'raw']),
    messages: z.array(ChatMessageSchema).max(200),
    text: z.string().max(4_000_000),
  }),
  params: ParamsSchema.partial(),
  paramText: z.record(z.string(), z.string()).optional(),
});
export type Draft = z.infer<typeof DraftSchema>;

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

// ---------- webview -> host ----------

export const WebviewToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('draft'), draft: DraftSchema }),
  /** The legend's scale toggle: the host writes it to the mint.playground.heatScale setting. */
  z.object({ type: z.literal('heatScale'), scale: z.enum(['probability', 'surprisal']) }),
  z.object({ type: z.literal('sample'), runId: RunIdSchema, target: TargetSchema, prompt: PromptSchema, params: ParamsSchema }),
  z.object({
    type: z.literal('compare'),
    runId: RunIdSchema,
    targets: z.array(TargetSchema).min(2, 'Pick at least two models to compare.').max(4, 'Compare at most four models.'),
    prompt: PromptSchema,
    params: ParamsSchema,
  }),
  z.object({ type: z.literal('cancel'), runId: RunIdSchema }),
  z.object({ type: z.literal('copy'), text: z.string().max(1_000_000), what: z.enum(['request_id', 'text', 'code']) }),
  z.object({ type: z.literal('rerun'), historyId: RunIdSchema, runId: RunIdSchema }),
  z.object({ type: z.literal('openHistory'), historyId: RunIdSchema }),
  z.object({ type: z.literal('deleteHistory'), historyId: RunIdSchema }),
  z.object({ type: z.literal('clearHistory') }),
  z.object({ type: z.literal('export'), format: z.enum(['jsonl', 'markdown']) }),
  z.object({ type: z.literal('viewAsCode'), targets: z.array(TargetSchema).min(1).max(4), prompt: PromptSchema, params: ParamsSchema }),
  /** View as code → Open in editor: the snippet as an untitled document of that language. */
  z.object({ type: z.literal('openCode'), language: z.enum(['python', 'typescript']), text: z.string().max(1_000_000) }),
  z.object({ type: z.literal('refreshModels') }),
  z.object({ type: z.literal('countTokens'), target: TargetSchema, prompt: PromptSchema }),
  /** Top-k alternatives for a sample's generated tokens: one scoring request (prompt + completion). */
  z.object({
    type: z.literal('alternatives'),
    runId: RunIdSchema,
    index: z.number().int().min(0).max(3),
    sample: z.number().int().min(0),
    branch: RunIdSchema.optional(),
    k: z.number().int().min(1).max(20),
  }),
  /** Continue from token `at` of a sample (or branch) with another token: a new branch of that sample. */
  z.object({
    type: z.literal('branch'),
    runId: RunIdSchema,
    index: z.number().int().min(0).max(3),
    sample: z.number().int().min(0),
    parent: RunIdSchema.optional(),
    at: z.number().int().min(0),
    token: z.union([z.object({ id: z.number().int().min(0) }), z.object({ text: z.string().min(1, 'Type a token first.').max(1000) })]),
    branchId: RunIdSchema,
  }),
  /** Score a given completion under 1-4 targets: per-token logprobs, no generation. */
  z.object({
    type: z.literal('score'),
    runId: RunIdSchema,
    targets: z.array(TargetSchema).min(1).max(4),
    prompt: PromptSchema,
    params: ParamsSchema,
    completion: z.string().min(1, 'Paste a completion to score.').max(1_000_000),
  }),
  z.object({ type: z.literal('searchHistory'), query: z.string().max(500) }),
  z.object({ type: z.literal('pinHistory'), historyId: RunIdSchema, pinned: z.boolean() }),
  z.object({ type: z.literal('renameHistory'), historyId: RunIdSchema, name: z.string().max(200) }),
  /** Save a run (with its branch trees) as a file another playground can open: no key, no server URL. */
  z.object({ type: z.literal('shareRun'), historyId: RunIdSchema }),
  z.object({ type: z.literal('importRun') }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHostSchema>;

// ---------- host -> webview ----------

export const ModelInfoSchema = z.object({ model_name: z.string(), max_context_length: z.number().int().positive().optional() });
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const CheckpointInfoSchema = z.object({
  path: z.string(),
  base_model: z.string(),
  run_id: z.string(),
  name: z.string(),
  time: z.string().optional(),
});
export type CheckpointInfo = z.infer<typeof CheckpointInfoSchema>;

/** One token as the token view shows it. `p` is the text piece (pieces concatenate to the text). */
export const TokenViewSchema = z.object({
  ids: z.array(z.number().int()),
  pieces: z.array(z.string()),
  logprobs: z.array(z.number().nullable()).optional(),
  /** Per position, the top-k alternatives as [token id, piece, logprob]; null where none. */
  topk: z.array(z.array(z.tuple([z.number().int(), z.string(), z.number()])).nullable()).optional(),
});
export type TokenView = z.infer<typeof TokenViewSchema>;

export const SampleSchema = z.object({
  text: z.string(),
  stop_reason: z.string(),
  tokens: TokenViewSchema.optional(),
  /** Where `tokens.topk` came from: the server's own top-k for generated tokens, or a scoring request (its id). */
  alts: z.enum(['server', 'scored']).optional(),
  score_request_id: z.string().optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

export const ErrorInfoSchema = z.object({
  /** The exception class, e.g. "RateLimitError"; what the presenter keys on. */
  kind: z.string(),
  message: z.string(),
  request_id: z.string().optional(),
  /** An inline form problem (context length, bad path) rather than a server failure. */
  inline: z.boolean().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const QueueInfoSchema = z.object({
  queue_state: z.string(),
  /** MinT's stage of the request: queued, prefill, decode, running. */
  stage: z.string().optional(),
  queue_state_reason: z.string().optional(),
  queue_position: z.number().optional(),
  queue_depth: z.number().optional(),
  eta_s: z.number().optional(),
  tokens_generated: z.number().optional(),
  max_tokens: z.number().optional(),
  /** The client is waiting before sending again, for this long (from the client's onRetryWait)... */
  retry_in_ms: z.number().optional(),
  /** ...and why, in few words: "rate limited", "server busy". */
  retry_reason: z.string().optional(),
});
export type QueueInfo = z.infer<typeof QueueInfoSchema>;

/**
 * A branch: the text of a sample (or of another branch) up to token `at`, then `token` instead of
 * what was there, then what the model generates from it. `sample.tokens` holds the whole branch,
 * the kept prefix included, so a branch reads (and is compared) like any sample.
 */
export const BranchSchema = z.object({
  id: RunIdSchema,
  /** The sample it branches from (index into the outcome's samples), and the branch within it, if any. */
  from: z.number().int().min(0),
  parent: RunIdSchema.optional(),
  at: z.number().int().min(0),
  token: z.tuple([z.number().int(), z.string()]),
  /** How many tokens were put at `at` (typed text can be several). */
  forced: z.number().int().min(1).optional(),
  status: z.enum(['pending', 'done', 'failed', 'cancelled']),
  sample: SampleSchema.optional(),
  request_id: z.string().optional(),
  error: ErrorInfoSchema.optional(),
});
export type Branch = z.infer<typeof BranchSchema>;

/** A scored completion under one target: its tokens' logprobs summed and averaged. */
export const ScoreSchema = z.object({ total: z.number(), mean: z.number(), tokens: z.number().int() });
export type Score = z.infer<typeof ScoreSchema>;

/** One column of a run: one model or checkpoint's answer. */
export const OutcomeSchema = z.object({
  target: TargetSchema,
  status: z.enum(['pending', 'done', 'failed', 'cancelled']),
  /** "native": token ids through /asample; "openai": text through the OpenAI-compatible endpoint (no logprobs). */
  via: z.enum(['native', 'openai']).optional(),
  request_id: z.string().optional(),
  latency_ms: z.number().optional(),
  /** The part of latency_ms spent waiting (retry waits, queued on the server), not generating. */
  wait_ms: z.number().optional(),
  prompt_tokens: z.number().int().optional(),
  samples: z.array(SampleSchema).optional(),
  prompt: TokenViewSchema.optional(),
  queue: QueueInfoSchema.optional(),
  error: ErrorInfoSchema.optional(),
  note: z.string().optional(),
  /** Continuations from a chosen token, as a tree (each names its sample and parent branch). */
  branches: z.array(BranchSchema).max(5000).optional(),
  /** A score run: the completion (samples[0]) under this target. */
  score: ScoreSchema.optional(),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

/** A run: one prompt and parameters against one to four targets. Also the history record (never holds a key). */
export const RunSchema = z.object({
  id: RunIdSchema,
  time: z.string(),
  prompt: PromptSchema,
  params: ParamsSchema,
  outcomes: z.array(OutcomeSchema).min(1).max(4),
  /** A score run: this completion's per-token logprobs under each target, nothing generated. */
  completion: z.string().max(1_000_000).optional(),
  /** History: the user's name for it, and whether it stays at the top. */
  name: z.string().max(200).optional(),
  pinned: z.boolean().optional(),
});
export type Run = z.infer<typeof RunSchema>;

/** A shared run file (`*.mint-run.json`): one run with its branches, nothing about who made it or where. */
export const SharedRunFileSchema = z.object({
  format: z.literal('mint-playground-run'),
  version: z.literal(1),
  run: RunSchema,
});
export type SharedRunFile = z.infer<typeof SharedRunFileSchema>;

export const HistorySummarySchema = z.object({
  id: RunIdSchema,
  time: z.string(),
  title: z.string(),
  models: z.array(z.string()),
  status: z.enum(['pending', 'done', 'failed', 'cancelled']),
  name: z.string().optional(),
  pinned: z.boolean().optional(),
  kind: z.enum(['sample', 'score']).optional(),
  branches: z.number().int().optional(),
  samples: z.number().int().optional(),
});
export type HistorySummary = z.infer<typeof HistorySummarySchema>;

export const TokenizerStatusSchema = z.object({
  target: z.string(),
  state: z.enum(['ready', 'unavailable']),
  source: z.string().optional(),
  message: z.string().optional(),
});

/** Shared state, sent to every open page so they all show the same thing. */
const SHARED_STATE = [
  /** The heat map's scale (the mint.playground.heatScale setting): every page shows the same. */
  z.object({ type: z.literal('heatScale'), scale: z.enum(['probability', 'surprisal']) }),
  /** Everything at once: to a page on its `ready`, and to every page when the host changes the form (the runs tree's "Sample in Playground"). */
  z.object({
    type: z.literal('state'),
    draft: DraftSchema.optional(),
    heatScale: z.enum(['probability', 'surprisal']).optional(),
    models: z.array(ModelInfoSchema),
    checkpoints: z.array(CheckpointInfoSchema),
    runs: z.array(RunSchema),
    history: z.array(HistorySummarySchema),
    connection: z.string().optional(),
  }),
  z.object({
    type: z.literal('models'),
    models: z.array(ModelInfoSchema),
    checkpoints: z.array(CheckpointInfoSchema),
    error: ErrorInfoSchema.optional(),
  }),
  z.object({ type: z.literal('run'), run: RunSchema }),
  z.object({ type: z.literal('outcome'), runId: RunIdSchema, index: z.number().int().min(0).max(3), outcome: OutcomeSchema }),
  z.object({ type: z.literal('queue'), runId: RunIdSchema, index: z.number().int().min(0).max(3), queue: QueueInfoSchema }),
  z.object({ type: z.literal('history'), history: z.array(HistorySummarySchema) }),
  /**
   * The form as the host now holds it, after another page's edit or History → Open: the host owns
   * one draft for all pages, so the sidebar and an editor panel never sample different things.
   */
  z.object({ type: z.literal('draft'), draft: DraftSchema }),
] as const;

/** Replies, sent only to the page whose message they answer: another page did not ask. */
const REPLIES = [
  z.object({ type: z.literal('code'), python: z.string(), typescript: z.string() }),
  z.object({
    type: z.literal('tokenCount'),
    target: z.string(),
    count: z.number().int().optional(),
    max_context_length: z.number().int().optional(),
    tokenizer: TokenizerStatusSchema,
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'warning', 'error']), message: z.string() }),
  z.object({ type: z.literal('rejected'), message: z.string(), runId: RunIdSchema.optional() }),
  /** History search: the runs (and branches) whose text matches, best first. */
  z.object({ type: z.literal('historyResults'), query: z.string(), history: z.array(HistorySummarySchema) }),
] as const;

export const SharedStateSchema = z.discriminatedUnion('type', [...SHARED_STATE]);
export type SharedState = z.infer<typeof SharedStateSchema>;
export const HostReplySchema = z.discriminatedUnion('type', [...REPLIES]);
export type HostReply = z.infer<typeof HostReplySchema>;
/** Everything the page can receive: what it parses, whichever kind it is. */
export const HostToWebviewSchema = z.discriminatedUnion('type', [...SHARED_STATE, ...REPLIES]);
export type HostToWebview = z.infer<typeof HostToWebviewSchema>;

/** A run's title as the results header and the history list show it: the last user message, on one line. */
export function promptTitle(r: Pick<Run, 'prompt'>): string {
  const text =
    r.prompt.mode === 'chat'
      ? (r.prompt.messages.filter((m) => m.role === 'user').pop()?.content ?? r.prompt.messages[0]?.content ?? '')
      : r.prompt.text;
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A training-state path (`.../weights/<name>`) cannot be sampled; only `sampler_weights/` can.
 * Returns the fix in words, or undefined when the path is fine to try.
 */
export function checkpointPathProblem(path: string): string | undefined {
  const p = path.trim();
  if (!/^(mint|tinker):\/\//.test(p)) {
    return 'A checkpoint path starts with mint:// or tinker://, e.g. mint://<run>/sampler_weights/<name>.';
  }
  const m = /^(mint|tinker):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(p);
  if (m && m[3] === 'weights') {
    return `This is a training-state checkpoint (weights/), which cannot be sampled. Save it with save_weights_for_sampler and use ${m[1]}://${m[2]}/sampler_weights/${m[4]}.`;
  }
  return undefined;
}

/** The first problem of a params form, by field, in the words the form shows. */
export function paramProblems(params: unknown): Record<string, string> {
  const r = ParamsSchema.safeParse(params);
  if (r.success) return {};
  const out: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const key = String(issue.path[0] ?? 'form');
    out[key] ??= issue.message;
  }
  return out;
}
