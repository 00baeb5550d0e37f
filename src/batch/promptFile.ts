/**
 * A prompt file: JSONL whose rows hold `prompt` (text) or `messages` (chat), optionally with
 * `id`, `model` (a base model or a sampler checkpoint path) and `params` (sampling parameters).
 * Parsing finds every row and every problem at its exact position; a row with a problem is never
 * sent. No vscode import: positions are 0-based lines and UTF-16 columns, as VS Code counts.
 */
import { createHash } from 'node:crypto';
import { ParamsSchema, type Params, type Prompt, type Target } from '../shared/playground';

export interface Position {
  line: number;
  character: number;
}
export interface Span {
  start: Position;
  end: Position;
}

export interface PromptRow {
  /** 0-based line of the row in the file. */
  line: number;
  /** The row's `id`, else "line N" (1-based) for people to read. */
  label: string;
  /**
   * What results are keyed on: the row's `id`, else a hash of the row's text plus its occurrence
   * (two identical rows stay two rows). Stable under edits elsewhere, so resuming after lines were
   * inserted above still skips rows that were done.
   */
  key: string;
  prompt: Prompt;
  /** The row's own target (`model`), overriding the file's. */
  target?: Target;
  /** The row's own parameters, merged over the file's. */
  params?: Partial<Params>;
  /** A trailing assistant turn of a dataset row, kept as the reference answer (not sent). */
  reference?: string;
}

export interface RowProblem {
  line: number;
  span: Span;
  message: string;
}

export interface PromptFile {
  rows: PromptRow[];
  problems: RowProblem[];
  /** True when the file looks like a prompt file at all (some row has `prompt` or `messages`). */
  isPromptFile: boolean;
}

/** Most rows carry an answer (a trailing assistant turn, a completion): a training dataset, linted as one. */
export function looksLikeDataset(file: PromptFile): boolean {
  return file.rows.length > 0 && file.rows.filter((r) => r.reference !== undefined).length > file.rows.length / 2;
}

const ROLES = new Set(['system', 'user', 'assistant']);
const PARAM_KEYS: Record<string, 'int' | 'number' | 'strings'> = {
  max_tokens: 'int',
  temperature: 'number',
  top_p: 'number',
  top_k: 'int',
  seed: 'int',
  stop: 'strings',
  num_samples: 'int',
};

/** Results files sit beside their prompt file and are never prompt files themselves. */
export function isResultsFile(path: string): boolean {
  return /\.results\.jsonl$/i.test(path);
}

export function resultsPathFor(path: string): string {
  return path.replace(/\.jsonl$/i, '') + '.results.jsonl';
}

export function parsePromptFile(text: string): PromptFile {
  const rows: PromptRow[] = [];
  const problems: RowProblem[] = [];
  const seen = new Map<string, number>();
  const ids = new Map<string, number>();
  let isPromptFile = false;
  let start = 0;
  for (let line = 0; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (raw.trim() !== '') {
      const r = parseRow(raw, line, seen, ids);
      if (r.row) rows.push(r.row);
      if (r.problem) problems.push(r.problem);
      if (r.promptLike) isPromptFile = true;
    }
    if (end === text.length) break;
  }
  return { rows, problems, isPromptFile };
}

function whole(line: number, raw: string): Span {
  const first = raw.length - raw.trimStart().length;
  return { start: { line, character: first }, end: { line, character: raw.trimEnd().length } };
}

/** The span of a key's value in the row's text (best effort: the key's first occurrence), else the row. */
function spanOfKey(raw: string, line: number, key: string): Span {
  const i = raw.indexOf(`"${key}"`);
  if (i < 0) return whole(line, raw);
  return { start: { line, character: i }, end: { line, character: Math.min(raw.length, i + key.length + 2) } };
}

function parseRow(
  raw: string,
  line: number,
  seen: Map<string, number>,
  ids: Map<string, number>,
): { row?: PromptRow; problem?: RowProblem; promptLike: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    const col = at ? Number(at[1]) : raw.length;
    const span = { start: { line, character: col }, end: { line, character: Math.min(raw.length, col + 1) } };
    return {
      problem: { line, span, message: `Not valid JSON: ${(e as Error).message.replace(/^JSON\.parse: /, '')}. This row is skipped.` },
      promptLike: false,
    };
  }
  const fail = (message: string, key?: string) => ({
    problem: { line, span: key ? spanOfKey(raw, line, key) : whole(line, raw), message: `${message} This row is skipped.` },
    promptLike: true,
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ...fail('A row must be a JSON object.'), promptLike: false };
  const o = value as Record<string, unknown>;
  const hasPrompt = 'prompt' in o;
  const hasMessages = 'messages' in o;
  if (!hasPrompt && !hasMessages) return { ...fail('A prompt row needs "prompt" (text) or "messages" (chat).'), promptLike: false };
  if (hasPrompt && hasMessages) return fail('A row has either "prompt" or "messages", not both.', 'messages');

  let prompt: Prompt;
  let reference: string | undefined;
  if (hasPrompt) {
    if (typeof o.prompt !== 'string' || o.prompt === '') return fail('"prompt" must be non-empty text.', 'prompt');
    prompt = { mode: 'raw', text: o.prompt };
    // A prompt/completion dataset row: the completion is the reference answer.
    if (typeof o.completion === 'string') reference = o.completion;
  } else {
    if (!Array.isArray(o.messages) || o.messages.length === 0)
      return fail('"messages" must be a non-empty list of {role, content}.', 'messages');
    const messages: { role: 'system' | 'user' | 'assistant'; content: string }[] = [];
    for (let i = 0; i < o.messages.length; i++) {
      const m = o.messages[i] as { role?: unknown; content?: unknown };
      if (typeof m !== 'object' || m === null) return fail(`messages[${i}] must be an object {role, content}.`, 'messages');
      if (typeof m.role !== 'string' || !ROLES.has(m.role))
        return fail(`messages[${i}].role must be "system", "user" or "assistant" (found ${JSON.stringify(m.role)}).`, 'role');
      if (typeof m.content !== 'string') return fail(`messages[${i}].content must be text.`, 'content');
      messages.push({ role: m.role as 'system' | 'user' | 'assistant', content: m.content });
    }
    // A dataset row ends with the answer: sample the conversation before it, keep it as the reference.
    if (messages.length > 1 && messages[messages.length - 1]!.role === 'assistant') reference = messages.pop()!.content;
    prompt = { mode: 'chat', messages };
  }

  let target: Target | undefined;
  if ('model' in o) {
    if (typeof o.model !== 'string' || o.model === '')
      return fail('"model" must be a base model name or a sampler checkpoint path.', 'model');
    target = /^[a-z]+:\/\//.test(o.model) ? { model_path: o.model } : { base_model: o.model };
  }
  let params: Partial<Params> | undefined;
  if ('params' in o) {
    if (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params)) return fail('"params" must be an object.', 'params');
    params = {};
    for (const [k, v] of Object.entries(o.params as Record<string, unknown>)) {
      const kind = PARAM_KEYS[k];
      if (!kind) return fail(`"params.${k}" is not a sampling parameter (use ${Object.keys(PARAM_KEYS).join(', ')}).`, k);
      const ok =
        kind === 'strings'
          ? Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '')
          : typeof v === 'number' && Number.isFinite(v) && (kind === 'number' || Number.isInteger(v));
      if (!ok)
        return fail(
          `"params.${k}" must be ${kind === 'strings' ? 'a list of non-empty strings' : kind === 'int' ? 'a whole number' : 'a number'}.`,
          k,
        );
      if ((k === 'max_tokens' || k === 'num_samples') && (v as number) < 1) return fail(`"params.${k}" must be at least 1.`, k);
      if (k === 'temperature' && ((v as number) < 0 || (v as number) > 5)) return fail('"params.temperature" must be between 0 and 5.', k);
      if (k === 'top_p' && ((v as number) <= 0 || (v as number) > 1)) return fail('"params.top_p" must be above 0 and at most 1.', k);
      (params as Record<string, unknown>)[k] = v;
    }
    // The rest of the ranges, exactly as the playground's form checks them (top_k 0, 17 stops, …).
    const checked = ParamsSchema.partial().safeParse(params);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const key = String(issue.path[0] ?? 'params');
      return fail(`"params.${key}": ${issue.message}`, key);
    }
  }

  let label: string;
  let key: string;
  if ('id' in o) {
    if (typeof o.id !== 'string' && typeof o.id !== 'number') return fail('"id" must be a string or a number.', 'id');
    label = String(o.id);
    const first = ids.get(label);
    if (first !== undefined) return fail(`"id" ${JSON.stringify(label)} is already used on line ${first + 1}; ids must be unique.`, 'id');
    ids.set(label, line);
    key = `id:${label}`;
  } else {
    label = `line ${line + 1}`;
    const h = createHash('sha1').update(raw.trim()).digest('hex').slice(0, 16);
    const n = (seen.get(h) ?? 0) + 1;
    seen.set(h, n);
    key = `h:${h}${n > 1 ? `:${n}` : ''}`;
  }
  return {
    row: {
      line,
      label,
      key,
      prompt,
      ...(target ? { target } : {}),
      ...(params ? { params } : {}),
      ...(reference !== undefined ? { reference } : {}),
    },
    promptLike: true,
  };
}
