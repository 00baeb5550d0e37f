/**
 * The SFT data path: dataset rows → chat messages → the model's chat template → tokens, with a
 * weight of 1 on what the assistant writes in its turns (its text, any `<think>` block the
 * template puts in the turn, and the end-of-turn token) and 0 on everything else (system and user
 * turns, role headers, the newline after the end-of-turn token) → the datum forward_backward takes,
 * shifted by one as tinker-cookbook does (position i of model_input predicts target_tokens[i]).
 *
 * How the assistant spans are found, for any chat template: the whole conversation is rendered
 * once (the text the model trains on, as `apply_chat_template` gives it). Each assistant turn
 * starts after the template's assistant header, the text its generation prompt adds (found once
 * per tokenizer by rendering a probe): when the header occurs once per assistant message and each
 * span holds its message's answer, those are the turns. Otherwise, for each assistant turn i,
 * messages[0..i-1] are rendered with the generation prompt, which must be a prefix of the whole
 * text, and the turn starts where it ends. A turn ends at the template's end-of-turn token (found
 * by the same probe). Character spans become token weights through the tokenizer's own pieces (or,
 * where its normaliser changes the text, by counting the tokens of the text before each boundary).
 *
 * Qwen3's template drops the reasoning of assistant turns before the last user message, as
 * `apply_chat_template` does; those turns train on their answer only. A conversation where neither
 * rule finds the turns (a template that renders history unlike the generation prompt) trains on
 * its last assistant turn only, rendered as at generation time, and is counted in `lastTurnOnly`.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRenderOptions } from '../mint/chatTemplate';
import type { Datum } from '../mint/training';
import { classifyRow, conversationsOf, isObj } from '../datasets/formats';
import type { LintMessage } from '../datasets/types';

/** What the data path needs of a tokenizer; MintTokenizer fits. */
export interface ChatTokenizer {
  readonly id?: string;
  readonly eosToken?: string | undefined;
  renderChat(messages: readonly ChatMessage[], opts?: ChatRenderOptions): string;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** One display string per token whose concatenation is the decoded text. */
  pieces(ids: readonly number[]): string[];
  isSpecial(id: number): boolean;
}

export type TrainOnWhat = 'all_assistant_messages' | 'last_assistant_message';

/** A row that cannot become a training example, and why. */
export class RowNotTrainableError extends Error {
  override name = 'RowNotTrainableError';
}

/**
 * The chat of one dataset row: `messages` rows as they are, prompt/target field rows (the mint
 * scaffold's families: prompt|question|input|instruction, system_prompt|system, and
 * assistant_text|output|answer|…|completion|response) as system? + user + assistant. Reasoning
 * given apart (`reasoning_content`, thinking parts) goes into the assistant turn as a
 * `<think>…</think>` block, which Qwen3-style templates split out again.
 */
export function rowToMessages(row: unknown): ChatMessage[] {
  if (!isObj(row)) throw new RowNotTrainableError('the row is not a JSON object');
  const shape = classifyRow(row)?.shape;
  if (shape !== 'sft-messages' && shape !== 'sft-fields' && shape !== 'rl-math') {
    throw new RowNotTrainableError(shape ? `the row is ${shape}, not SFT` : 'the row has no `messages` and no prompt/target fields');
  }
  if (row.tools !== undefined) throw new RowNotTrainableError('rows with `tools` are not supported yet');
  if (shape === 'sft-messages' && Array.isArray(row.messages)) {
    for (const m of row.messages) {
      if (isObj(m) && m.tool_calls !== undefined && m.tool_calls !== null) {
        throw new RowNotTrainableError('assistant turns with `tool_calls` are not supported yet');
      }
      if (isObj(m) && Array.isArray(m.content) && m.content.some((p) => isObj(p) && p.type !== 'text' && p.type !== 'thinking')) {
        throw new RowNotTrainableError('only text (and thinking) content parts are supported');
      }
    }
  }
  // Question/answer rows are prompt/target rows too; as SFT the answer is the target.
  const conv = conversationsOf(row, shape === 'rl-math' ? 'sft-fields' : shape)[0];
  if (!conv || conv.messages.length === 0) throw new RowNotTrainableError('the row has no messages');
  return conv.messages.map(toChatMessage);
}

function toChatMessage(m: LintMessage): ChatMessage {
  const content = m.reasoning && m.role === 'assistant' ? `<think>\n${m.reasoning}\n</think>\n\n${m.content}` : m.content;
  // Templates handle "tool" too (Qwen3 does); ChatMessage's type names the three common roles.
  return { role: m.role as ChatMessage['role'], content };
}

interface TemplateMarkers {
  /** What the generation prompt adds after a user turn (Qwen3: "<|im_start|>assistant\n"), or '' when it cannot be told. */
  header: string;
  /** The end-of-turn token's text (Qwen3: "<|im_end|>"), or '' when the template has none. */
  marker: string;
  /** What the template writes after an assistant message's text, for templates without a marker. */
  tail: string;
}

const markersCache = new WeakMap<object, TemplateMarkers>();

/** How the template opens and ends an assistant turn, from probe conversations. */
export function templateMarkers(tok: ChatTokenizer): TemplateMarkers {
  const hit = markersCache.get(tok);
  if (hit) return hit;
  const user: ChatMessage = { role: 'user', content: 'Hi' };
  const bare = tok.renderChat([user], { addGenerationPrompt: false });
  const prompted = tok.renderChat([user], { addGenerationPrompt: true });
  const header = prompted.startsWith(bare) ? prompted.slice(bare.length) : '';
  const probe = 'Z9q';
  const text = tok.renderChat([user, { role: 'assistant', content: probe }], { addGenerationPrompt: false });
  const at = text.lastIndexOf(probe);
  const tail = at >= 0 ? text.slice(at + probe.length) : '';
  let marker = '';
  if (tok.eosToken && tail.startsWith(tok.eosToken)) marker = tok.eosToken;
  else if (tail) {
    const ids = tok.encode(tail, { addSpecialTokens: false });
    if (ids.length > 0 && tok.isSpecial(ids[0]!)) marker = tok.pieces([ids[0]!])[0] ?? '';
  }
  const out = { header, marker, tail };
  markersCache.set(tok, out);
  return out;
}

export interface RenderedExample {
  /** Every token of the rendered conversation. */
  tokens: number[];
  /** 1 where the token is the assistant's, else 0; same length as tokens. */
  weights: number[];
  /** The text the tokens encode. */
  text: string;
  /** True when only the last assistant turn could be located and trained (see the module comment). */
  lastTurnOnly: boolean;
}

/** Where the turn that starts at `start` ends: after the end-of-turn token, else where the template's tail begins. */
function turnEnd(m: TemplateMarkers, text: string, start: number): number | undefined {
  if (m.marker) {
    const k = text.indexOf(m.marker, start);
    return k < 0 ? undefined : k + m.marker.length;
  }
  const k = m.tail ? text.indexOf(m.tail, start) : -1;
  return k >= 0 ? k : text.length;
}

/** The visible answer of an assistant message (what follows any `</think>`), which its span must hold. */
function answerOf(m: ChatMessage): string {
  const after = m.content.lastIndexOf('</think>');
  return (after >= 0 ? m.content.slice(after + '</think>'.length) : m.content).trim();
}

/**
 * Spans by the assistant header: one header per assistant message, in order, each span holding its
 * message's answer. Undefined when that does not hold (then the prefix rule decides).
 */
function spansByHeader(
  m: TemplateMarkers,
  messages: readonly ChatMessage[],
  text: string,
  assistant: readonly number[],
  turns: ReadonlySet<number>,
): Array<[number, number]> | undefined {
  if (!m.header) return undefined;
  const starts: number[] = [];
  for (let k = text.indexOf(m.header); k >= 0; k = text.indexOf(m.header, k + m.header.length)) starts.push(k + m.header.length);
  if (starts.length !== assistant.length) return undefined;
  const spans: Array<[number, number]> = [];
  for (let n = 0; n < assistant.length; n++) {
    const start = starts[n]!;
    const end = turnEnd(m, text, start);
    if (end === undefined || (n + 1 < starts.length && end > starts[n + 1]! - m.header.length)) return undefined;
    const answer = answerOf(messages[assistant[n]!]!);
    if (answer && !text.slice(start, end).includes(answer)) return undefined;
    if (turns.has(assistant[n]!)) spans.push([start, end]);
  }
  return spans;
}

/** Spans by the prefix rule (see the module comment), or undefined when it fails. */
function spansByPrefix(
  tok: ChatTokenizer,
  m: TemplateMarkers,
  messages: readonly ChatMessage[],
  text: string,
  turns: readonly number[],
): Array<[number, number]> | undefined {
  const spans: Array<[number, number]> = [];
  let from = 0;
  for (const i of turns) {
    if (i === 0) return undefined;
    const head = tok.renderChat(messages.slice(0, i), { addGenerationPrompt: true });
    if (head.length < from || !text.startsWith(head)) return undefined;
    const start = head.length;
    const end = turnEnd(m, text, start);
    if (end === undefined) return undefined;
    spans.push([start, end]);
    from = end;
  }
  return spans;
}

/** Token start offsets in `text`, from the tokenizer's pieces; undefined when they do not spell `text` (a normaliser changed it). */
function tokenStarts(tok: ChatTokenizer, ids: readonly number[], text: string): number[] | undefined {
  const pieces = tok.pieces(ids);
  const starts = new Array<number>(ids.length);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    starts[i] = at;
    const p = pieces[i]!;
    if (text.startsWith(p, at)) at += p.length;
    else return undefined;
  }
  return at === text.length ? starts : undefined;
}

function weightsFor(tok: ChatTokenizer, ids: readonly number[], text: string, spans: ReadonlyArray<[number, number]>): number[] {
  const weights = new Array<number>(ids.length).fill(0);
  const starts = tokenStarts(tok, ids, text);
  if (starts) {
    let s = 0;
    for (let t = 0; t < ids.length && s < spans.length; t++) {
      while (s < spans.length && starts[t]! >= spans[s]![1]) s++;
      if (s < spans.length && starts[t]! >= spans[s]![0]) weights[t] = 1;
    }
    return weights;
  }
  // The text was normalised on the way in: count the tokens of the text before each boundary.
  const count = (end: number) => (end === 0 ? 0 : tok.encode(text.slice(0, end), { addSpecialTokens: false }).length);
  for (const [a, b] of spans) {
    const from = count(a);
    const to = Math.min(ids.length, count(b));
    for (let t = from; t < to; t++) weights[t] = 1;
  }
  return weights;
}

/**
 * One conversation as tokens and loss weights (see the module comment). Throws
 * RowNotTrainableError when there is no assistant turn, or no turn can be located.
 */
export function renderExample(
  tok: ChatTokenizer,
  messages: readonly ChatMessage[],
  trainOn: TrainOnWhat = 'all_assistant_messages',
): RenderedExample {
  const assistant: number[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'assistant') assistant.push(i);
  });
  if (assistant.length === 0) throw new RowNotTrainableError('the conversation has no assistant turn to learn from');
  const last = assistant[assistant.length - 1]!;
  // An opening assistant turn has no prompt to learn from; it stays context.
  const turns = (trainOn === 'last_assistant_message' ? [last] : assistant).filter((i) => i > 0);
  if (turns.length === 0)
    throw new RowNotTrainableError('the conversation starts with an assistant turn, which has no prompt to learn from');
  const m = templateMarkers(tok);
  const text = tok.renderChat(messages, { addGenerationPrompt: false });
  let spans = spansByHeader(m, messages, text, assistant, new Set(turns)) ?? spansByPrefix(tok, m, messages, text, turns);
  let trained = text;
  let lastTurnOnly = false;
  if (!spans) {
    // The template renders this history unlike the generation prompt: train the last turn as sampled.
    const upTo = messages.slice(0, last + 1);
    trained = last === messages.length - 1 ? text : tok.renderChat(upTo, { addGenerationPrompt: false });
    spans = spansByPrefix(tok, m, upTo, trained, [last]);
    if (!spans) throw new RowNotTrainableError("the chat template does not render this conversation's assistant turn after its prompt");
    lastTurnOnly = trainOn === 'all_assistant_messages' && assistant.length > 1;
  }
  const tokens = tok.encode(trained, { addSpecialTokens: false });
  return { tokens, weights: weightsFor(tok, tokens, trained, spans), text: trained, lastTurnOnly };
}

// ---- examples ----

export interface Example {
  /** Index of the row in the rows given. */
  row: number;
  tokens: Int32Array;
  /** Loss weight of each token (0 or 1), aligned with tokens. */
  weights: Uint8Array;
  truncated: boolean;
}

export interface PrepareStats {
  rows: number;
  /** Rows that became examples. */
  examples: number;
  /** Examples cut to maxLength. */
  truncated: number;
  /** Rows left out, by reason (e.g. "no assistant tokens within maxLength"), with the first few row indices. */
  skipped: Record<string, { count: number; rows: number[] }>;
  /** Examples that train their last assistant turn only (the template rewrote earlier turns). */
  lastTurnOnly: number;
  tokens: number;
  lossTokens: number;
}

export interface PrepareOptions {
  maxLength: number;
  trainOn?: TrainOnWhat;
  signal?: AbortSignal;
  /** Called now and then with rows done so far. */
  onRows?: (done: number, total: number) => void;
  /** Time slice before yielding to the event loop (default 15 ms). */
  sliceMs?: number;
}

export function emptyStats(rows: number): PrepareStats {
  return { rows, examples: 0, truncated: 0, skipped: {}, lastTurnOnly: 0, tokens: 0, lossTokens: 0 };
}

function skip(stats: PrepareStats, reason: string, row: number): void {
  const s = (stats.skipped[reason] ??= { count: 0, rows: [] });
  s.count++;
  if (s.rows.length < 5) s.rows.push(row);
}

/** One row as an example (or the reason it is none), truncated to maxLength tokens. */
export function prepareRow(
  tok: ChatTokenizer,
  row: unknown,
  index: number,
  opts: PrepareOptions,
  stats: PrepareStats,
): Example | undefined {
  let r: RenderedExample;
  try {
    r = renderExample(tok, rowToMessages(row), opts.trainOn);
  } catch (e) {
    skip(stats, e instanceof RowNotTrainableError ? e.message : `the chat template failed: ${(e as Error).message}`, index);
    return undefined;
  }
  let tokens = r.tokens;
  let weights = r.weights;
  const truncated = tokens.length > opts.maxLength;
  if (truncated) {
    tokens = tokens.slice(0, opts.maxLength);
    weights = weights.slice(0, opts.maxLength);
  }
  // The first token is never a target (it predicts nothing before it).
  let loss = 0;
  for (let i = 1; i < weights.length; i++) loss += weights[i]!;
  if (loss === 0) {
    skip(stats, truncated ? `no assistant tokens within the first ${opts.maxLength} tokens` : 'no assistant tokens', index);
    return undefined;
  }
  if (truncated) stats.truncated++;
  if (r.lastTurnOnly) stats.lastTurnOnly++;
  stats.examples++;
  stats.tokens += tokens.length;
  stats.lossTokens += loss;
  return { row: index, tokens: Int32Array.from(tokens), weights: Uint8Array.from(weights), truncated };
}

/**
 * Rows (by index) to examples, in slices that yield to the event loop so a large file keeps the
 * host responsive; stops with the signal's reason when it aborts.
 */
export async function prepareExamples(
  tok: ChatTokenizer,
  rows: readonly unknown[],
  indices: readonly number[],
  opts: PrepareOptions,
): Promise<{ examples: Example[]; stats: PrepareStats }> {
  const stats = emptyStats(indices.length);
  const examples: Example[] = [];
  const slice = opts.sliceMs ?? 15;
  let t0 = performance.now();
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const ex = prepareRow(tok, rows[i], i, opts, stats);
    if (ex) examples.push(ex);
    if (performance.now() - t0 > slice) {
      opts.onRows?.(k + 1, indices.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.signal?.throwIfAborted();
      t0 = performance.now();
    }
  }
  opts.onRows?.(indices.length, indices.length);
  return { examples, stats };
}

/**
 * The cheap and exact part of preparing rows, done for the whole split before training: which
 * rows are SFT rows this path can train (supported fields, an assistant turn after the first
 * message). Rendering and tokenizing (ExampleCache) then happen batch by batch as training goes.
 */
export function selectRows(
  rows: readonly unknown[],
  indices: readonly number[],
  trainOn: TrainOnWhat = 'all_assistant_messages',
): { rows: number[]; skipped: PrepareStats['skipped'] } {
  const stats = emptyStats(indices.length);
  const out: number[] = [];
  for (const i of indices) {
    let messages: ChatMessage[];
    try {
      messages = rowToMessages(rows[i]);
    } catch (e) {
      skip(stats, (e as Error).message, i);
      continue;
    }
    let last = -1;
    let any = false;
    messages.forEach((m, k) => {
      if (m.role !== 'assistant') return;
      last = k;
      if (k > 0) any = true;
    });
    if (last < 0) skip(stats, 'the conversation has no assistant turn to learn from', i);
    else if (trainOn === 'last_assistant_message' ? last === 0 : !any) {
      skip(stats, 'the conversation starts with an assistant turn, which has no prompt to learn from', i);
    } else out.push(i);
  }
  return { rows: out, skipped: stats.skipped };
}

/**
 * Examples made on first use and kept (a row is rendered and tokenized once, however many epochs),
 * with running stats over the rows prepared so far.
 */
export class ExampleCache {
  readonly stats: PrepareStats = emptyStats(0);
  private readonly made = new Map<number, Example | null>();

  constructor(
    private readonly tok: ChatTokenizer,
    private readonly rows: readonly unknown[],
    private readonly opts: PrepareOptions,
  ) {}

  /** The example of row `i`, or undefined when it cannot be trained (the reason is in stats.skipped). */
  get(i: number): Example | undefined {
    let ex = this.made.get(i);
    if (ex === undefined) {
      this.stats.rows++;
      ex = prepareRow(this.tok, this.rows[i], i, this.opts, this.stats) ?? null;
      this.made.set(i, ex);
    }
    return ex ?? undefined;
  }

  /** Several rows, yielding to the event loop every `sliceMs` so replies to requests in flight are read meanwhile. */
  async getMany(indices: readonly number[], sliceMs = 1, signal?: AbortSignal): Promise<Array<Example | undefined>> {
    const out: Array<Example | undefined> = [];
    let t0 = performance.now();
    for (const i of indices) {
      out.push(this.get(i));
      if (performance.now() - t0 > sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        t0 = performance.now();
      }
    }
    return out;
  }
}

/** tinker-cookbook's datum: model_input = tokens[:-1], target_tokens = tokens[1:], weights = weights[1:]. */
export function toDatum(ex: Pick<Example, 'tokens' | 'weights'>): Datum {
  const n = ex.tokens.length - 1;
  const input = new Array<number>(n);
  const target = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    input[i] = ex.tokens[i]!;
    target[i] = ex.tokens[i + 1]!;
    weights[i] = ex.weights[i + 1]!;
  }
  return {
    model_input: { chunks: [{ type: 'encoded_text', tokens: input }] },
    loss_fn_inputs: {
      target_tokens: { data: target, dtype: 'int64', shape: [n] },
      weights: { data: weights, dtype: 'float32', shape: [n] },
    },
  };
}

// ---- split and batches ----

/** mulberry32 over a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a user seed and a purpose, so the eval split and each epoch's shuffle are independent. */
export function deriveSeed(seed: number, purpose: string): number {
  return createHash('sha256').update(`${seed}\u0000${purpose}`).digest().readUInt32LE(0);
}

/** Fisher–Yates over 0..n-1 with a seeded generator. */
export function seededPermutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** How many of n rows `evalSplit` holds out: a fraction in (0, 1) or a count; always leaves one to train on. */
export function evalCount(n: number, evalSplit: number): number {
  if (!(evalSplit > 0) || n < 2) return 0;
  const k = evalSplit < 1 ? Math.round(n * evalSplit) : Math.floor(evalSplit);
  return Math.max(0, Math.min(n - 1, k));
}

/** Row indices for training and for eval: disjoint, seeded, each in file order. */
export function splitRows(n: number, evalSplit: number, seed: number): { train: number[]; eval: number[] } {
  const k = evalCount(n, evalSplit);
  if (k === 0) return { train: Array.from({ length: n }, (_, i) => i), eval: [] };
  const p = seededPermutation(n, deriveSeed(seed, 'eval-split'));
  const evalSet = p.slice(0, k).sort((a, b) => a - b);
  const held = new Set(evalSet);
  const train: number[] = [];
  for (let i = 0; i < n; i++) if (!held.has(i)) train.push(i);
  return { train, eval: evalSet };
}

/**
 * Which items (rows or examples, by index) each step trains on: every epoch is a seeded shuffle of
 * all items cut into full batches (the remainder of an epoch is left out, as tinker-cookbook
 * does), so any step's batch is known without running the ones before it: a resume recomputes the
 * same batches.
 */
export class BatchPlan {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  private readonly perms = new Map<number, number[]>();

  constructor(
    readonly examples: number,
    readonly batchSize: number,
    readonly epochs: number,
    readonly seed: number,
  ) {
    this.stepsPerEpoch = Math.floor(examples / batchSize);
    this.totalSteps = this.stepsPerEpoch * epochs;
  }

  /** The 0-based epoch of step `step` (1-based). */
  epochOf(step: number): number {
    return this.stepsPerEpoch > 0 ? Math.floor((step - 1) / this.stepsPerEpoch) : 0;
  }

  /** Example indices of step `step` (1-based, up to totalSteps). */
  batch(step: number): number[] {
    if (!Number.isInteger(step) || step < 1 || step > this.totalSteps)
      throw new RangeError(`step ${step} is outside 1..${this.totalSteps}`);
    const epoch = this.epochOf(step);
    let perm = this.perms.get(epoch);
    if (!perm) {
      perm = seededPermutation(this.examples, deriveSeed(this.seed, `epoch-${epoch}`));
      this.perms.clear(); // one epoch at a time is all a run needs
      this.perms.set(epoch, perm);
    }
    const b = (step - 1) % this.stepsPerEpoch;
    return perm.slice(b * this.batchSize, (b + 1) * this.batchSize);
  }
}

/** sha256 of the rows as JSON lines: what a resume checks it is training the same data. */
export function rowsSha256(rows: readonly unknown[]): string {
  const h = createHash('sha256');
  for (const r of rows) h.update(JSON.stringify(r) ?? 'null').update('\n');
  return h.digest('hex');
}
