/**
 * The JSONL training formats of mint-workflows.md §2.6, how one row is classified, and how a row
 * becomes the conversations a renderer would see (for lengths and train/eval overlap).
 *
 * Field families follow the trainers that read them:
 *  - `sft-messages`: tinker-cookbook's FromConversationFileBuilder (`messages: [{role, content}]`);
 *  - `sft-fields`: the mint-cookbook scaffold, which takes the prompt from the first non-empty of
 *    prompt|question|input|instruction, an optional system_prompt|system, and the target from the
 *    first non-empty of assistant_text|output|answer|target|label|expected|completion|response;
 *  - the four DPO shapes mint-cookbook's chat-dpo accepts (tinker-cookbook reads the comparison one);
 *  - `rl-math`: dapo-aime rows `{id, question, answer, source}` and AIME eval rows `{ID, Problem, Answer}`.
 */
import type { Conversation, FormatId, LintMessage } from './types';

export const FORMAT_LABELS: Record<FormatId, string> = {
  'sft-messages': 'SFT chat (messages)',
  'sft-fields': 'SFT prompt/target fields',
  'dpo-messages': 'DPO {messages, chosen, rejected}',
  'dpo-prompt': 'DPO {prompt, chosen, rejected}',
  'dpo-completions': 'DPO {prompt_conversation, completion_A, completion_B, label}',
  'dpo-comparison': 'DPO {comparison, label}',
  'rl-math': 'RL math (question, answer)',
};

export const PROMPT_KEYS = ['prompt', 'question', 'input', 'instruction'] as const;
export const SYSTEM_KEYS = ['system_prompt', 'system'] as const;
export const TARGET_KEYS = ['assistant_text', 'output', 'answer', 'target', 'label', 'expected', 'completion', 'response'] as const;
/** Where trainers look for a row id (mint-cookbook `extract_row_id`, chat-dpo `pair_id`, AIME `ID`). */
export const ID_KEYS = ['id', 'example_id', 'pair_id', 'task_id', 'episode_id', 'ID'] as const;
/** Bookkeeping fields any format may carry; trainers ignore them. */
export const META_KEYS: readonly string[] = [...ID_KEYS, 'group_id', 'source', 'metadata', 'meta'];

export const KNOWN_ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function has(o: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** mint-cookbook's `pick_first`: the first key whose value is neither null nor a blank string. */
export function pickFirst(o: Obj, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && !v.trim()) continue;
    return k;
  }
  return undefined;
}

export interface RowShape {
  shape: FormatId;
  /** For `sft-fields` and `rl-math`: which fields it uses, e.g. "instruction+input → output". */
  variant?: string;
}

/** The format one row has, by the keys it carries (chat-dpo's precedence first), or undefined. */
export function classifyRow(o: Obj): RowShape | undefined {
  // A pair with a side missing is still a DPO row (its missing side is reported), not an SFT row.
  if (has(o, 'chosen') || has(o, 'rejected')) {
    if (has(o, 'messages')) return { shape: 'dpo-messages' };
    if (has(o, 'prompt')) return { shape: 'dpo-prompt' };
  }
  if (has(o, 'prompt_conversation') || has(o, 'completion_A') || has(o, 'completion_B')) return { shape: 'dpo-completions' };
  if (isObj(o.comparison)) return { shape: 'dpo-comparison' };
  if (has(o, 'messages')) return { shape: 'sft-messages' };
  if (has(o, 'Problem') && (has(o, 'Answer') || has(o, 'Solution'))) return { shape: 'rl-math', variant: 'Problem → Answer' };
  const prompts = PROMPT_KEYS.filter((k) => has(o, k));
  const targets = TARGET_KEYS.filter((k) => has(o, k));
  if (prompts.length === 1 && prompts[0] === 'question' && targets.length === 1 && targets[0] === 'answer') {
    return { shape: 'rl-math', variant: 'question → answer' };
  }
  if (prompts.length || targets.length) {
    const used = (keys: readonly string[]) => keys.filter((k) => o[k] !== null && !(typeof o[k] === 'string' && !(o[k] as string).trim()));
    const p = used(prompts);
    const t = used(targets);
    return {
      shape: 'sft-fields',
      variant: `${(p.length ? p : prompts).join('+') || '(no prompt)'} → ${(t.length ? t : targets)[0] ?? '(no target)'}`,
    };
  }
  return undefined;
}

/** Shapes one trainer reads side by side: chat-dpo takes all four DPO shapes; RL math rows are also prompt/target rows. */
export function compatible(a: FormatId, b: FormatId): boolean {
  if (a === b) return true;
  if (a.startsWith('dpo-') && b.startsWith('dpo-')) return true;
  const sftRl = (x: FormatId) => x === 'sft-fields' || x === 'rl-math';
  return sftRl(a) && sftRl(b);
}

/** Fields a format reads at the top level of a row (besides META_KEYS); undefined = anything goes. */
export function topLevelKeys(shape: FormatId): ReadonlySet<string> | undefined {
  switch (shape) {
    case 'sft-messages':
      return new Set(['messages', 'tools', 'chat_template_kwargs']);
    case 'sft-fields':
      return new Set<string>([...PROMPT_KEYS, ...SYSTEM_KEYS, ...TARGET_KEYS]);
    case 'dpo-messages':
      return new Set(['messages', 'chosen', 'rejected']);
    case 'dpo-prompt':
      return new Set(['prompt', 'chosen', 'rejected', 'system']);
    case 'dpo-completions':
      return new Set(['prompt_conversation', 'completion_A', 'completion_B', 'label']);
    case 'dpo-comparison':
      return new Set(['comparison', 'label']);
    case 'rl-math':
      return undefined;
  }
}

/** What a format needs, for messages about rows that have none of it. */
export const FORMAT_NEEDS: Record<FormatId, string> = {
  'sft-messages': 'a `messages` list of {role, content}',
  'sft-fields': 'a prompt (prompt, question, input or instruction) and a target (output, completion, response, answer, …)',
  'dpo-messages': '`messages`, `chosen` and `rejected`',
  'dpo-prompt': '`prompt`, `chosen` and `rejected`',
  'dpo-completions': '`prompt_conversation`, `completion_A`, `completion_B` and `label`',
  'dpo-comparison': 'a `comparison` object and a `label`',
  'rl-math': '`question` and `answer`',
};

/** A hint for rows in formats MinT's trainers do not read, naming the conversion. */
export function foreignFormatHint(o: Obj): string | undefined {
  if (Array.isArray(o.conversations)) {
    return 'This looks like ShareGPT (`conversations` with from/value): MinT trainers read `messages` with role/content (human → user, gpt → assistant).';
  }
  if (Array.isArray(o.contents))
    return 'This looks like the Gemini format (`contents` with parts): convert it to `messages` with role/content.';
  if (typeof o.text === 'string') {
    return 'Plain `text` rows are pre-training data: MinT SFT trainers need `messages`, or a prompt and a target field.';
  }
  return undefined;
}

function flattenContent(content: unknown): { text: string; reasoning: string } {
  if (typeof content === 'string') return { text: content, reasoning: '' };
  let text = '';
  let reasoning = '';
  if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') text += part;
      else if (isObj(part)) {
        if (part.type === 'thinking' && typeof part.thinking === 'string') reasoning += part.thinking;
        else if (typeof part.text === 'string') text += part.text;
        else if (typeof part.output === 'string') text += part.output;
      }
    }
  } else if (content !== null && content !== undefined) {
    text = String(content);
  }
  return { text, reasoning };
}

function toMessage(m: unknown, defaultRole: string): LintMessage | undefined {
  if (typeof m === 'string') return { role: defaultRole, content: m };
  if (!isObj(m)) return undefined;
  const { text, reasoning } = flattenContent(m.content);
  const role = typeof m.role === 'string' && m.role ? m.role : defaultRole;
  const r = typeof m.reasoning_content === 'string' ? m.reasoning_content + reasoning : reasoning;
  let content = text;
  if (Array.isArray(m.tool_calls)) content += JSON.stringify(m.tool_calls);
  return r ? { role, content, reasoning: r } : { role, content };
}

/** chat-dpo's `normalize_message_list`: a string is one message of the default role; a list is messages. */
export function toMessages(v: unknown, defaultRole: string): LintMessage[] {
  if (typeof v === 'string') return [{ role: defaultRole, content: v }];
  if (!Array.isArray(v)) return [];
  const out: LintMessage[] = [];
  for (const m of v) {
    const msg = toMessage(m, defaultRole);
    if (msg) out.push(msg);
  }
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The conversations a row trains on, as a renderer would be given them. */
export function conversationsOf(o: Obj, shape: FormatId): Conversation[] {
  switch (shape) {
    case 'sft-messages':
      return [{ messages: toMessages(o.messages, 'user'), addGenerationPrompt: false }];
    case 'sft-fields': {
      const messages: LintMessage[] = [];
      const sys = pickFirst(o, SYSTEM_KEYS);
      if (sys) messages.push({ role: 'system', content: str(o[sys]) });
      const p = pickFirst(o, PROMPT_KEYS);
      messages.push({ role: 'user', content: p ? str(o[p]) : '' });
      const t = pickFirst(o, TARGET_KEYS);
      if (!t) return [{ messages, addGenerationPrompt: true }];
      messages.push({ role: 'assistant', content: str(o[t]) });
      return [{ messages, addGenerationPrompt: false }];
    }
    case 'rl-math':
      return [{ messages: [{ role: 'user', content: str(o.question ?? o.Problem) }], addGenerationPrompt: true }];
    case 'dpo-messages':
    case 'dpo-prompt': {
      const prompt = toMessages(shape === 'dpo-messages' ? o.messages : o.prompt, 'user');
      return [o.chosen, o.rejected].map((c) => ({ messages: [...prompt, ...toMessages(c, 'assistant')], addGenerationPrompt: false }));
    }
    case 'dpo-completions':
    case 'dpo-comparison': {
      const c = shape === 'dpo-comparison' && isObj(o.comparison) ? o.comparison : o;
      const prompt = toMessages(c.prompt_conversation, 'user');
      return [c.completion_A, c.completion_B].map((x) => ({
        messages: [...prompt, ...toMessages(x, 'assistant')],
        addGenerationPrompt: false,
      }));
    }
  }
}
