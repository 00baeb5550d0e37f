/**
 * The rules for one JSONL row. A row is parsed with JSON.parse; the rules walk the value and note
 * findings against JSON paths; only then, and only for rows with findings, the line is scanned for
 * spans (jsonSpans.ts) and each path becomes a character range. Findings here are about the row
 * alone; those that need the rest of the file (duplicate ids, the file's format, lengths over the
 * context, train/eval overlap) are added by the linter.
 *
 * Rule ids reuse the vocabulary of MinT's own GLM-5.2 SFT validator (mindlab-toolkit
 * `mint/validation/glm52_sft.py`) where one fits.
 */
import {
  type Obj,
  type RowShape,
  FORMAT_LABELS,
  ID_KEYS,
  KNOWN_ROLES,
  META_KEYS,
  PROMPT_KEYS,
  SYSTEM_KEYS,
  TARGET_KEYS,
  classifyRow,
  conversationsOf,
  foreignFormatHint,
  has,
  isObj,
  pickFirst,
  topLevelKeys,
} from './formats';
import { type JsonEdit, type JsonNode, type PathSegment, describeChar, formatPath, nodeAt, rawOffsetInString, scanJson } from './jsonSpans';
import { estimateTokens } from './lengths';
import type { FormatId, RuleId, Severity } from './types';

/** A finding within one line: character offsets only; the linter adds the line number. */
export interface LocalFinding {
  rule: RuleId;
  severity: Severity;
  message: string;
  start: number;
  end: number;
  path?: string;
  fix?: { title: string; edits: JsonEdit[] };
}

export interface RowLint {
  kind: 'blank' | 'invalid' | 'row';
  shape?: FormatId;
  variant?: string;
  /** Top-level keys, kept for rows of no known shape (the linter words their finding per file format). */
  keys?: string[];
  /** Hint for a foreign format (ShareGPT, plain text) when the row has no known shape. */
  hint?: string;
  /** The row id (mint-cookbook's extract_row_id order), and the key it came from. */
  id?: string;
  idKey?: string;
  /** The row's span in the line (leading/trailing whitespace excluded). */
  rowStart: number;
  rowEnd: number;
  /** Estimated tokens (see lengths.ts); undefined for rows that are not rows. */
  est?: number;
  findings: LocalFinding[];
  /** Findings beyond the per-row cap, counted and not kept. */
  dropped: number;
}

export interface RowLintOptions {
  /** Keep at most this many findings per row (default 20); the rest are counted. */
  maxFindingsPerRow?: number;
}

type Target =
  { at: 'value' | 'key' | 'member' } | { at: 'sub'; from: number; to: number } | { at: 'row' } | { at: 'raw'; start: number; end: number };

type PendingFix =
  | { title: string; kind: 'remove-subs'; ranges: Array<[number, number]> }
  | { title: string; kind: 'replace-value'; newText: string }
  | { title: string; kind: 'raw'; edits: JsonEdit[] };

interface Pending {
  rule: RuleId;
  severity: Severity;
  message: string;
  path: PathSegment[];
  target: Target;
  fix?: PendingFix;
}

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';
/** Chat-template control tokens written by hand: ChatML/Qwen/Llama/gpt-oss `<|…|>`, DeepSeek `<｜…｜>`, GLM's prefix. */
const PROTOCOL_RE = /<\|[A-Za-z0-9_]{1,40}\|>|<｜[^｜\n]{1,40}｜>|\[gMASK\]|<sop>/;
const PROTOCOL_RE_G = new RegExp(PROTOCOL_RE.source, 'g');

const MESSAGE_KEYS: ReadonlySet<string> = new Set([
  'role',
  'content',
  'reasoning_content',
  'tool_calls',
  'tool_call_id',
  'name',
  'trainable',
  'unparsed_tool_calls',
]);
const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'image_url', 'audio', 'input_audio', 'audio_url', 'video', 'video_url']);
const PART_TYPES = 'text, thinking, image, image_url, audio, input_audio, video, tool_call';
const ROLE_SYNONYMS: Record<string, string> = { human: 'user', gpt: 'assistant', bot: 'assistant', model: 'assistant', ai: 'assistant' };

function typeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return `a ${typeof v}`;
}

function blank(v: unknown): boolean {
  return typeof v === 'string' && v.trim() === '';
}

type Mode = 'sft' | 'dpo';

interface MessageInfo {
  role: string;
  hasReasoningField: boolean;
  hasThinkingPart: boolean;
  /** The content is a string that may be split into a thinking part and the answer. */
  splittable: boolean;
}

class RowChecker {
  readonly pending: Pending[] = [];
  dropped = 0;

  constructor(private readonly cap: number) {}

  add(rule: RuleId, severity: Severity, message: string, path: PathSegment[], target: Target = { at: 'value' }, fix?: PendingFix): void {
    if (this.pending.length >= this.cap) {
      this.dropped++;
      return;
    }
    this.pending.push({ rule, severity, message, path, target, ...(fix ? { fix } : {}) });
  }

  // ---- text inside strings ----

  /** Think tags and hand-written template tokens in one string value at `path`. Returns whether it holds a whole <think>…</think> block. */
  text(s: string, path: PathSegment[], info: MessageInfo): boolean {
    this.protocol(s, path);
    if (s.indexOf('think>') < 0) return false;
    const { role } = info;
    let depth = 0;
    let block = false;
    let literalReported = false;
    const re = /<\/?think>/g;
    let m: RegExpExecArray | null;
    let first = true;
    const lead = s.search(/\S/); // where the text starts; a tag before it has only blanks in front
    while ((m = re.exec(s))) {
      const at = m.index;
      if (m[0] === THINK_OPEN) {
        depth++;
        if (role !== 'assistant' && !literalReported) {
          literalReported = true;
          this.literal(path, at, role);
        }
        first = false;
        continue;
      }
      if (depth > 0) {
        depth--;
        block = true;
        first = false;
        continue;
      }
      // A close with nothing open.
      if (first && role === 'assistant' && !info.hasReasoningField && !info.hasThinkingPart) {
        this.servingLeftover(s, path, at, info);
      } else {
        this.strayClose(s, path, at, role, lead === at);
      }
      first = false;
    }
    return block && role === 'assistant';
  }

  private literal(path: PathSegment[], at: number, role: string): void {
    this.add(
      'literal-think-tags',
      'warning',
      `A <think> tag in a ${role} message is plain text to the model: renderers only turn assistant reasoning into a think block. If this is quoted text, ignore this; if it is chain-of-thought, move it to the assistant turn as a thinking part.`,
      path,
      { at: 'sub', from: at, to: at + THINK_OPEN.length },
    );
  }

  /** `reason</think>answer` in an assistant turn without other reasoning: MinT's renderers split it there. */
  private servingLeftover(s: string, path: PathSegment[], at: number, info: MessageInfo): void {
    const reason = s.slice(0, at);
    const answer = s.slice(at + THINK_CLOSE.length);
    const sub: Target = { at: 'sub', from: at, to: at + THINK_CLOSE.length };
    if (!answer.trim()) {
      this.add(
        'leftover-empty-answer',
        'warning',
        'Nothing follows </think>: MinT reads `reasoning</think>answer` as reasoning plus answer, so this turn trains an empty answer (and other renderers train the literal tag). Add the answer after </think>, or drop the row.',
        path,
        sub,
      );
      return;
    }
    if (!reason.trim()) {
      this.strayClose(s, path, at, info.role, true);
      return;
    }
    const message =
      'A </think> with no <think> before it: MinT takes the text before it as reasoning (a serving leftover), while other renderers and HF templates train the tag as literal text. Make it explicit: put the reasoning in a thinking part and keep only the answer in content.';
    const newText = JSON.stringify([
      { type: 'thinking', thinking: reason.trim() },
      { type: 'text', text: answer.replace(/^\s+/, '') },
    ]);
    this.add(
      'stray-think-close',
      'warning',
      message,
      path,
      sub,
      info.splittable ? { title: 'Split into a thinking part and the answer', kind: 'replace-value', newText } : undefined,
    );
  }

  private strayClose(s: string, path: PathSegment[], at: number, role: string, leading: boolean): void {
    // Trim the tag, and the blank run after it when only blanks come before it.
    let to = at + THINK_CLOSE.length;
    if (leading) while (to < s.length && /\s/.test(s[to]!)) to++;
    this.add(
      'stray-think-close',
      'warning',
      `A stray </think> with no matching <think> in this ${role || 'message'} text: the model would learn to write the tag (and MinT may read what precedes it as reasoning). Remove it.`,
      path,
      { at: 'sub', from: at, to: at + THINK_CLOSE.length },
      { title: 'Remove the stray </think>', kind: 'remove-subs', ranges: [[at, to]] },
    );
  }

  protocol(s: string, path: PathSegment[]): void {
    const m = PROTOCOL_RE.exec(s);
    if (!m) return;
    const ranges: Array<[number, number]> = [];
    PROTOCOL_RE_G.lastIndex = 0;
    let g: RegExpExecArray | null;
    while ((g = PROTOCOL_RE_G.exec(s))) ranges.push([g.index, g.index + g[0].length]);
    const more = ranges.length > 1 ? ` (${ranges.length} such tokens in this text)` : '';
    this.add(
      'protocol-injection',
      'warning',
      `${m[0]} is a chat-template control token written by hand${more}. The renderer adds these itself; a literal one in the data is read as a control token and teaches the model to switch turns mid-text. Remove it.`,
      path,
      { at: 'sub', from: m.index, to: m.index + m[0].length },
      { title: `Remove ${ranges.length > 1 ? 'the control tokens' : m[0]}`, kind: 'remove-subs', ranges },
    );
  }

  // ---- structure ----

  unknownKeys(o: Obj, allowed: ReadonlySet<string>, path: PathSegment[], severity: Severity, where: string): void {
    for (const k of Object.keys(o)) {
      if (allowed.has(k)) continue;
      let why = `\`${k}\` is not a field ${where} reads, so it is ignored. Remove it, or move metadata under \`metadata\`.`;
      if (k === 'thinking')
        why =
          '`thinking` on a message is no longer read (tinker-cookbook removed Message.thinking): put reasoning in a content part {"type": "thinking", "thinking": …}.';
      else if (k === 'weight') why = '`weight` is OpenAI fine-tuning syntax; tinker-cookbook reads `trainable: true|false` on a message.';
      else if (k === 'from' || k === 'value') why = `\`${k}\` is ShareGPT syntax; messages use \`role\` and \`content\`.`;
      this.add('unknown-field', severity, why, [...path, k], { at: 'key' });
    }
  }

  /** A `messages`-style list; returns how many assistant turns it has. */
  messageList(list: unknown[], path: PathSegment[], mode: Mode, defaultRole: string): number {
    let assistants = 0;
    for (let i = 0; i < list.length; i++) {
      if (this.message(list[i], [...path, i], mode, defaultRole) === 'assistant') assistants++;
    }
    return assistants;
  }

  /** One message; returns its role. */
  message(msg: unknown, path: PathSegment[], mode: Mode, defaultRole: string): string | undefined {
    if (typeof msg === 'string' && mode === 'dpo') {
      if (!msg.trim())
        this.add(
          'empty-content',
          'error',
          'This message is empty: chat-dpo rejects empty messages ("Empty role/content"). Write the text, or remove the item.',
          path,
        );
      else this.text(msg, path, { role: defaultRole, hasReasoningField: false, hasThinkingPart: false, splittable: false });
      return defaultRole;
    }
    if (!isObj(msg)) {
      this.add('content-shape', 'error', `A message must be an object {"role": …, "content": …}; this is ${typeName(msg)}.`, path);
      return undefined;
    }
    this.unknownKeys(msg, MESSAGE_KEYS, path, 'warning', 'on a message any renderer');
    // Role.
    let role: string | undefined;
    if (!has(msg, 'role')) {
      if (mode === 'sft')
        this.add('missing-field', 'error', 'This message has no `role`: give it one of system, user, assistant, tool.', path);
      else role = defaultRole;
    } else if (typeof msg.role !== 'string') {
      this.add('content-shape', 'error', `\`role\` must be a string (system, user, assistant or tool); it is ${typeName(msg.role)}.`, [
        ...path,
        'role',
      ]);
    } else if (!msg.role.trim()) {
      this.add(
        'empty-role',
        'error',
        'The role is empty: renderers cannot place this message (chat-dpo rejects it). Set it to system, user, assistant or tool.',
        [...path, 'role'],
      );
    } else {
      role = msg.role;
      if (!KNOWN_ROLES.has(role)) this.unknownRole(role, [...path, 'role']);
    }
    // Reasoning sources.
    const content = msg.content;
    const hasReasoningField = has(msg, 'reasoning_content');
    const parts = Array.isArray(content) ? content : undefined;
    const hasThinkingPart = !!parts && parts.some((p) => isObj(p) && p.type === 'thinking');
    const withToolCalls = role === 'assistant' && Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0;
    const info: MessageInfo = {
      role: role ?? '',
      hasReasoningField,
      hasThinkingPart,
      splittable: typeof content === 'string' && mode === 'sft',
    };
    // Content.
    let inlineBlock = false;
    if (!has(msg, 'content')) {
      if (!withToolCalls) {
        if (mode === 'sft')
          this.add('missing-field', 'error', 'This message has no `content`: add the text (a string, or a list of parts).', path);
        else this.add('empty-content', 'error', 'This message has no `content`: chat-dpo rejects empty messages. Add the text.', path);
      }
    } else if (content === null) {
      if (!withToolCalls)
        this.add('content-shape', 'error', '`content` is null: write the text as a string (null is only usual beside tool_calls).', [
          ...path,
          'content',
        ]);
    } else if (typeof content === 'string') {
      if (!content.trim() && !withToolCalls) {
        this.add(
          'empty-content',
          mode === 'dpo' ? 'error' : 'warning',
          mode === 'dpo'
            ? 'This message is empty: chat-dpo rejects empty messages ("Empty role/content"). Write the text, or remove the message.'
            : `This ${role ?? ''} message is empty: it trains nothing${role === 'assistant' ? ' (or teaches the model to answer with nothing)' : ''}. Write the text, or remove the message.`,
          [...path, 'content'],
        );
      }
      inlineBlock = this.text(content, [...path, 'content'], info);
    } else if (parts) {
      if (parts.length === 0)
        this.add('content-shape', 'error', '`content` is an empty list: give a string or at least one part.', [...path, 'content']);
      if (mode === 'dpo') {
        this.add(
          'content-shape',
          'warning',
          'chat-dpo turns non-string content into its Python text (str(...)), so these parts would be trained as literal brackets and quotes. Write the content as a string.',
          [...path, 'content'],
        );
      }
      for (let j = 0; j < parts.length; j++) this.part(parts[j], [...path, 'content', j], info);
    } else {
      this.add('content-shape', 'error', `\`content\` must be a string or a list of parts; it is ${typeName(content)}.`, [
        ...path,
        'content',
      ]);
    }
    // reasoning_content.
    if (hasReasoningField) {
      const rc = msg.reasoning_content;
      if (role !== undefined && role !== 'assistant') {
        this.add(
          'thinking-role',
          'error',
          `\`reasoning_content\` on a ${role} message: only assistant turns carry reasoning. Move it to the assistant turn, or remove it.`,
          [...path, 'reasoning_content'],
          { at: 'key' },
        );
      }
      if (typeof rc !== 'string') {
        this.add(
          'content-shape',
          'error',
          `\`reasoning_content\` must be a string (null is not allowed); it is ${typeName(rc)}. Remove the field when there is no reasoning.`,
          [...path, 'reasoning_content'],
        );
      } else {
        this.protocol(rc, [...path, 'reasoning_content']);
        if (rc.includes(THINK_OPEN) || rc.includes(THINK_CLOSE)) {
          this.add(
            'literal-think-tags',
            'warning',
            '`reasoning_content` holds <think> tags: the renderer writes the think block around it itself. Remove the tags.',
            [...path, 'reasoning_content'],
          );
        }
      }
      if (hasThinkingPart || inlineBlock) {
        this.add(
          'reasoning-source',
          'error',
          `Reasoning is given twice: \`reasoning_content\` and ${hasThinkingPart ? 'a thinking part in `content`' : 'a <think>…</think> block in `content`'}. MinT's renderers reject a message with both. Keep one (new data: a thinking part).`,
          [...path, 'reasoning_content'],
          { at: 'member' },
        );
      }
    }
    // Tool calls and tool replies.
    if (has(msg, 'tool_calls')) this.toolCalls(msg.tool_calls, [...path, 'tool_calls'], role);
    if (role === 'tool') {
      for (const k of ['tool_call_id', 'name']) {
        if (has(msg, k) && typeof msg[k] !== 'string') {
          this.add('tool-output-shape', 'error', `\`${k}\` on a tool message must be a string; it is ${typeName(msg[k])}.`, [...path, k]);
        }
      }
    }
    return role;
  }

  private unknownRole(role: string, path: PathSegment[]): void {
    const lower = role.trim().toLowerCase();
    const fixTo = KNOWN_ROLES.has(lower) ? lower : ROLE_SYNONYMS[lower];
    if (lower === 'developer') {
      this.add(
        'unknown-role',
        'warning',
        'Role "developer" is understood by gpt-oss-style templates only; Qwen3, GLM and tinker-cookbook renderers expect system. Use "system" unless you train gpt-oss.',
        path,
        { at: 'value' },
        { title: 'Change the role to "system"', kind: 'replace-value', newText: '"system"' },
      );
      return;
    }
    this.add(
      'unknown-role',
      'error',
      `Unknown role "${role}": renderers know system, user, assistant and tool${fixTo ? ` ("${role}" here means "${fixTo}")` : ''}. Use one of those.`,
      path,
      { at: 'value' },
      fixTo ? { title: `Change the role to "${fixTo}"`, kind: 'replace-value', newText: JSON.stringify(fixTo) } : undefined,
    );
  }

  private part(part: unknown, path: PathSegment[], info: MessageInfo): void {
    if (typeof part === 'string') {
      this.text(part, path, { ...info, splittable: false });
      return;
    }
    if (!isObj(part)) {
      this.add('content-shape', 'error', `A content part must be an object {"type": …}; this is ${typeName(part)}.`, path);
      return;
    }
    const type = part.type;
    if (type === undefined && info.role === 'tool' && has(part, 'output')) {
      if (typeof part.output !== 'string') {
        this.add(
          'tool-output-shape',
          'error',
          `A tool output part's \`output\` must be a string; it is ${typeName(part.output)}. Serialise it (e.g. JSON.stringify) before writing the row.`,
          [...path, 'output'],
        );
      } else this.protocol(part.output, [...path, 'output']);
      this.unknownKeys(part, new Set(['output']), path, 'warning', 'on a tool output part the renderer');
      return;
    }
    if (typeof type !== 'string') {
      this.add(
        'content-part-type',
        'error',
        `This content part has no string \`type\`: use one of ${PART_TYPES}.`,
        type === undefined ? path : [...path, 'type'],
      );
      return;
    }
    if (type === 'text') {
      if (typeof part.text !== 'string')
        this.add(
          'content-shape',
          'error',
          `A text part needs \`text\` as a string; it is ${typeName(part.text)}.`,
          has(part, 'text') ? [...path, 'text'] : path,
        );
      else this.text(part.text, [...path, 'text'], { ...info, splittable: false });
      this.unknownKeys(part, new Set(['type', 'text']), path, 'warning', 'on a text part the renderer');
    } else if (type === 'thinking') {
      if (info.role && info.role !== 'assistant') {
        this.add(
          'thinking-role',
          'error',
          `A thinking part in a ${info.role} message: only assistant turns carry reasoning. Move it to the assistant turn, or make it text.`,
          [...path, 'type'],
        );
      }
      if (typeof part.thinking !== 'string') {
        this.add(
          'content-shape',
          'error',
          `A thinking part needs \`thinking\` as a string; it is ${typeName(part.thinking)}.`,
          has(part, 'thinking') ? [...path, 'thinking'] : path,
        );
      } else {
        this.protocol(part.thinking, [...path, 'thinking']);
        if (part.thinking.includes(THINK_OPEN) || part.thinking.includes(THINK_CLOSE)) {
          this.add(
            'literal-think-tags',
            'warning',
            'A thinking part holds <think> tags: the renderer writes the think block around it itself. Remove the tags.',
            [...path, 'thinking'],
          );
        }
      }
      this.unknownKeys(part, new Set(['type', 'thinking']), path, 'warning', 'on a thinking part the renderer');
    } else if (type === 'tool_reference') {
      if (info.role !== 'tool')
        this.add('tool-reference-shape', 'error', 'A tool_reference part belongs in a tool message only.', [...path, 'type']);
      if (typeof part.name !== 'string' || !part.name) {
        this.add(
          'tool-reference-shape',
          'error',
          'A tool_reference part needs a non-empty string `name`, naming a tool declared in `tools`.',
          has(part, 'name') ? [...path, 'name'] : path,
        );
      }
    } else if (!MEDIA_TYPES.has(type) && type !== 'tool_call' && type !== 'unparsed_tool_call') {
      this.add('content-part-type', 'error', `Unknown content part type "${type}": renderers read ${PART_TYPES}.`, [...path, 'type']);
    }
  }

  private toolCalls(calls: unknown, path: PathSegment[], role: string | undefined): void {
    if (role !== undefined && role !== 'assistant') {
      this.add('tool-call-shape', 'error', `\`tool_calls\` on a ${role} message: only assistant turns call tools.`, path, { at: 'key' });
    }
    if (!Array.isArray(calls) || calls.length === 0) {
      this.add(
        'tool-call-shape',
        'error',
        '`tool_calls` must be a non-empty list of {"type": "function", "function": {"name", "arguments"}}; remove the field when there are none.',
        path,
      );
      return;
    }
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const p = [...path, i];
      if (!isObj(c)) {
        this.add(
          'tool-call-shape',
          'error',
          `A tool call must be an object {"type": "function", "function": {…}}; this is ${typeName(c)}.`,
          p,
        );
        continue;
      }
      if (has(c, 'type') && c.type !== 'function')
        this.add('tool-call-shape', 'error', 'A tool call\'s `type` must be "function".', [...p, 'type']);
      const f = c.function;
      if (!isObj(f)) {
        this.add(
          'tool-call-shape',
          'error',
          'A tool call needs `function`: {"name": …, "arguments": …}.',
          has(c, 'function') ? [...p, 'function'] : p,
        );
        continue;
      }
      if (typeof f.name !== 'string' || !f.name)
        this.add(
          'tool-call-shape',
          'error',
          'A tool call needs `function.name` as a non-empty string.',
          has(f, 'name') ? [...p, 'function', 'name'] : [...p, 'function'],
        );
      const args = f.arguments;
      if (typeof args === 'string') {
        let parsed: unknown;
        try {
          parsed = args.trim() ? JSON.parse(args) : {};
        } catch {
          this.add(
            'tool-call-shape',
            'error',
            '`function.arguments` is a string that is not valid JSON: it must hold a JSON object, e.g. "{\\"city\\": \\"Paris\\"}".',
            [...p, 'function', 'arguments'],
          );
          continue;
        }
        if (!isObj(parsed))
          this.add('tool-call-shape', 'error', '`function.arguments` must decode to a JSON object, not a list or a scalar.', [
            ...p,
            'function',
            'arguments',
          ]);
      } else if (!isObj(args)) {
        this.add(
          'tool-call-shape',
          'error',
          `\`function.arguments\` must be a JSON object or a string holding one; it is ${typeName(args)}.`,
          has(f, 'arguments') ? [...p, 'function', 'arguments'] : [...p, 'function'],
        );
      }
    }
  }

  tools(tools: unknown): void {
    if (!Array.isArray(tools) || tools.length === 0) {
      this.add('tools-shape', 'error', '`tools` must be a non-empty list of tool definitions; remove the field when there are none.', [
        'tools',
      ]);
      return;
    }
    for (let i = 0; i < tools.length; i++) {
      const t = tools[i];
      const fn = isObj(t) && isObj(t.function) ? t.function : t;
      if (!isObj(fn) || typeof fn.name !== 'string' || !fn.name) {
        this.add(
          'tools-shape',
          'error',
          'A tool definition needs a non-empty `name` (bare {name, description, parameters}, or OpenAI\'s {"type": "function", "function": {…}}).',
          ['tools', i],
        );
      } else if (has(fn, 'parameters') && !isObj(fn.parameters)) {
        this.add('tools-shape', 'error', "A tool's `parameters` must be a JSON Schema object.", [
          'tools',
          i,
          ...(fn === t ? [] : ['function']),
          'parameters',
        ]);
      }
    }
  }

  /** A DPO prompt or completion: a string, or a list of messages (chat-dpo's normalize_message_list). */
  dpoSide(v: unknown, path: PathSegment[], defaultRole: string, what: string): void {
    if (v === undefined) {
      const parent = path.slice(0, -1);
      this.add('missing-field', 'error', `No \`${String(path[path.length - 1])}\`: a preference row needs its ${what}.`, parent, {
        at: parent.length ? 'value' : 'row',
      });
      return;
    }
    if (typeof v === 'string') {
      if (!v.trim())
        this.add(
          'empty-content',
          'error',
          `\`${formatPath(path)}\` is empty: chat-dpo rejects rows with an empty ${what}. Write it, or drop the row.`,
          path,
        );
      else this.text(v, path, { role: defaultRole, hasReasoningField: false, hasThinkingPart: false, splittable: false });
      return;
    }
    if (!Array.isArray(v)) {
      this.add('content-shape', 'error', `\`${formatPath(path)}\` must be a string or a list of messages; it is ${typeName(v)}.`, path);
      return;
    }
    if (v.length === 0) {
      this.add('empty-content', 'error', `\`${formatPath(path)}\` is an empty list: chat-dpo rejects rows with an empty ${what}.`, path);
      return;
    }
    this.messageList(v, path, 'dpo', defaultRole);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.trim() === b.trim();
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkLabel(c: RowChecker, o: Obj, path: PathSegment[]): void {
  if (!has(o, 'label')) {
    c.add(
      'missing-field',
      'warning',
      'No `label`: chat-dpo then assumes "A" is preferred, and tinker-cookbook\'s loader fails. Add "label": "A" or "B".',
      path.length ? path : [],
      { at: 'row' },
    );
    return;
  }
  const label = o.label;
  const p = [...path, 'label'];
  if (label === 'A' || label === 'B') return;
  if (label === 'Tie') {
    c.add(
      'label-value',
      'warning',
      'label "Tie" is accepted by tinker-cookbook\'s comparison loader, but mint chat-dpo rejects the row ("A" or "B" only). Drop ties if you train with chat-dpo.',
      p,
    );
    return;
  }
  if (typeof label === 'string' && (label.trim().toUpperCase() === 'A' || label.trim().toUpperCase() === 'B')) {
    const up = label.trim().toUpperCase();
    c.add(
      'label-value',
      'warning',
      `label "${label}" is read as "${up}" by chat-dpo but not by tinker-cookbook: write "${up}".`,
      p,
      { at: 'value' },
      {
        title: `Change the label to "${up}"`,
        kind: 'replace-value',
        newText: JSON.stringify(up),
      },
    );
    return;
  }
  c.add(
    'label-value',
    'error',
    `label must be "A" or "B" (tinker-cookbook also takes "Tie"), naming the preferred completion; it is ${JSON.stringify(label)}.`,
    p,
  );
}

function checkSftFields(c: RowChecker, o: Obj): void {
  const prompt = pickFirst(o, PROMPT_KEYS);
  if (!prompt) {
    const emptyKey = PROMPT_KEYS.find((k) => has(o, k));
    if (emptyKey)
      c.add(
        'empty-content',
        'error',
        `\`${emptyKey}\` is empty and no other prompt field is set, so this row has no prompt. Write the prompt.`,
        [emptyKey],
      );
    else
      c.add(
        'missing-field',
        'error',
        'No prompt field: the mint scaffold reads the first non-empty of prompt, question, input, instruction.',
        [],
        { at: 'row' },
      );
  } else {
    for (const k of PROMPT_KEYS.slice(PROMPT_KEYS.indexOf(prompt as (typeof PROMPT_KEYS)[number]) + 1)) {
      if (o[k] !== undefined && o[k] !== null && !blank(o[k])) {
        c.add(
          'shadowed-field',
          'warning',
          `\`${k}\` is ignored: the mint scaffold takes the prompt from the first non-empty of prompt, question, input, instruction, which here is \`${prompt}\`. Merge the two into one field (e.g. instruction, a blank line, then input).`,
          [k],
          { at: 'key' },
        );
      }
    }
    const v = o[prompt];
    if (typeof v !== 'string')
      c.add(
        'content-shape',
        'warning',
        `\`${prompt}\` is ${typeName(v)}; the scaffold writes it into the prompt as str(...). Write it as a string.`,
        [prompt],
      );
    else c.text(v, [prompt], { role: 'user', hasReasoningField: false, hasThinkingPart: false, splittable: false });
  }
  for (const k of SYSTEM_KEYS) {
    if (has(o, k) && o[k] !== null && typeof o[k] !== 'string')
      c.add('content-shape', 'warning', `\`${k}\` should be a string; it is ${typeName(o[k])}.`, [k]);
    else if (typeof o[k] === 'string')
      c.text(o[k] as string, [k], { role: 'system', hasReasoningField: false, hasThinkingPart: false, splittable: false });
  }
  const target = pickFirst(o, TARGET_KEYS);
  if (!target) {
    const emptyKey = TARGET_KEYS.find((k) => has(o, k));
    c.add(
      'no-assistant',
      'error',
      emptyKey
        ? `\`${emptyKey}\` is empty, so this row has no assistant target and trains nothing. Write the expected answer.`
        : 'No assistant target: add one of output, completion, response, answer, target, assistant_text (the mint scaffold raises "No assistant target field").',
      emptyKey ? [emptyKey] : [],
      emptyKey ? { at: 'value' } : { at: 'row' },
    );
  } else {
    for (const k of TARGET_KEYS.slice(TARGET_KEYS.indexOf(target as (typeof TARGET_KEYS)[number]) + 1)) {
      if (o[k] !== undefined && o[k] !== null && !blank(o[k])) {
        c.add(
          'shadowed-field',
          'warning',
          `\`${k}\` is ignored: the mint scaffold trains on the first non-empty target field, which here is \`${target}\`. Keep one target field.`,
          [k],
          { at: 'key' },
        );
      }
    }
    const v = o[target];
    if (typeof v === 'string')
      c.text(v, [target], { role: 'assistant', hasReasoningField: false, hasThinkingPart: false, splittable: false });
    else
      c.add(
        'content-shape',
        'warning',
        `\`${target}\` is ${typeName(v)}; the scaffold trains on str(...) of it. Write the target as a string.`,
        [target],
      );
  }
  c.unknownKeys(o, new Set([...PROMPT_KEYS, ...SYSTEM_KEYS, ...TARGET_KEYS, ...META_KEYS]), [], 'info', 'the mint scaffold');
}

function checkRl(c: RowChecker, o: Obj): void {
  const qKey = has(o, 'Problem') ? 'Problem' : 'question';
  const aKey = has(o, 'Answer') ? 'Answer' : has(o, 'answer') ? 'answer' : undefined;
  const q = o[qKey];
  if (typeof q !== 'string')
    c.add('content-shape', 'error', `\`${qKey}\` must be the problem text (a string); it is ${typeName(q)}.`, [qKey]);
  else if (!q.trim()) c.add('empty-content', 'error', `\`${qKey}\` is empty: there is nothing to prompt with.`, [qKey]);
  else c.text(q, [qKey], { role: 'user', hasReasoningField: false, hasThinkingPart: false, splittable: false });
  if (!aKey) {
    c.add('missing-field', 'error', 'No answer to grade against: RL math rows need `answer` (or `Answer`).', [], { at: 'row' });
  } else if (o[aKey] === null || blank(o[aKey]) || (typeof o[aKey] !== 'string' && typeof o[aKey] !== 'number')) {
    c.add(
      'empty-content',
      'error',
      `\`${aKey}\` must be the reference answer (a string or number); it is ${blank(o[aKey]) ? 'empty' : typeName(o[aKey])}.`,
      [aKey],
    );
  }
}

function checkDpo(c: RowChecker, o: Obj, shape: FormatId): void {
  if (shape === 'dpo-messages' || shape === 'dpo-prompt') {
    const promptKey = shape === 'dpo-messages' ? 'messages' : 'prompt';
    c.dpoSide(o[promptKey], [promptKey], 'user', 'prompt');
    c.dpoSide(o.chosen, ['chosen'], 'assistant', 'chosen completion');
    c.dpoSide(o.rejected, ['rejected'], 'assistant', 'rejected completion');
    if (sameJson(o.chosen, o.rejected)) {
      c.add(
        'same-chosen-rejected',
        'warning',
        '`chosen` and `rejected` are the same: the pair carries no preference and only adds noise. Fix the pair, or drop it.',
        ['rejected'],
      );
    }
  } else {
    const inner = shape === 'dpo-comparison' ? (o.comparison as Obj) : o;
    const base: PathSegment[] = shape === 'dpo-comparison' ? ['comparison'] : [];
    for (const k of ['prompt_conversation', 'completion_A', 'completion_B']) {
      if (!has(inner, k))
        c.add(
          'missing-field',
          'error',
          `${base.length ? `\`${formatPath(base)}\`` : 'This row'} has no \`${k}\`: a comparison needs prompt_conversation, completion_A and completion_B.`,
          base,
          { at: base.length ? 'value' : 'row' },
        );
    }
    if (has(inner, 'prompt_conversation')) c.dpoSide(inner.prompt_conversation, [...base, 'prompt_conversation'], 'user', 'prompt');
    if (has(inner, 'completion_A')) c.dpoSide(inner.completion_A, [...base, 'completion_A'], 'assistant', 'completion');
    if (has(inner, 'completion_B')) c.dpoSide(inner.completion_B, [...base, 'completion_B'], 'assistant', 'completion');
    if (has(inner, 'completion_A') && has(inner, 'completion_B') && sameJson(inner.completion_A, inner.completion_B)) {
      c.add(
        'same-chosen-rejected',
        'warning',
        'completion_A and completion_B are the same: the pair carries no preference and only adds noise. Fix the pair, or drop it.',
        [...base, 'completion_B'],
      );
    }
    if (shape === 'dpo-comparison') {
      c.unknownKeys(
        inner,
        new Set(['prompt_conversation', 'completion_A', 'completion_B', 'label']),
        base,
        'warning',
        'in a comparison the loader',
      );
      checkLabel(c, has(o, 'label') || !has(inner, 'label') ? o : inner, has(o, 'label') || !has(inner, 'label') ? [] : base);
    } else {
      checkLabel(c, o, []);
    }
  }
  const allowed = new Set([...(topLevelKeys(shape) ?? []), ...META_KEYS]);
  c.unknownKeys(o, allowed, [], 'info', `the ${FORMAT_LABELS[shape]} loader`);
}

function checkSftMessages(c: RowChecker, o: Obj): void {
  const messages = o.messages;
  if (!Array.isArray(messages)) {
    c.add('content-shape', 'error', `\`messages\` must be a list of {"role", "content"} objects; it is ${typeName(messages)}.`, [
      'messages',
    ]);
  } else if (messages.length === 0) {
    c.add('content-shape', 'error', '`messages` is empty: a row needs at least a user turn and an assistant turn.', ['messages']);
  } else {
    const assistants = c.messageList(messages, ['messages'], 'sft', 'user');
    if (assistants === 0) {
      c.add(
        'no-assistant',
        'error',
        'No assistant message: an SFT row trains on the assistant turns, so this one trains nothing. Add the assistant reply.',
        ['messages'],
      );
    }
  }
  if (has(o, 'tools')) c.tools(o.tools);
  c.unknownKeys(o, new Set([...(topLevelKeys('sft-messages') ?? []), ...META_KEYS]), [], 'info', 'the SFT chat loader');
}

/** Where a path's target lands in the line, with a fallback to the whole row. */
function resolveRange(text: string, root: JsonNode, p: Pending, rowStart: number, rowEnd: number): [number, number] {
  const t = p.target;
  if (t.at === 'row') return [rowStart, rowEnd];
  if (t.at === 'raw') return [t.start, t.end];
  const hit = nodeAt(root, p.path);
  if (!hit) return [rowStart, rowEnd];
  if (t.at === 'key') return hit.member ? [hit.member.keyStart, hit.member.keyEnd] : [hit.node.start, hit.node.end];
  if (t.at === 'member') return hit.member ? [hit.member.keyStart, hit.node.end] : [hit.node.start, hit.node.end];
  if (t.at === 'sub' && hit.node.kind === 'string')
    return [rawOffsetInString(text, hit.node, t.from), rawOffsetInString(text, hit.node, t.to)];
  return [hit.node.start, hit.node.end];
}

function resolveFix(text: string, root: JsonNode, fix: PendingFix, path: PathSegment[]): LocalFinding['fix'] | undefined {
  if (fix.kind === 'raw') return { title: fix.title, edits: fix.edits };
  const hit = nodeAt(root, path);
  if (!hit) return undefined;
  if (fix.kind === 'replace-value')
    return { title: fix.title, edits: [{ start: hit.node.start, end: hit.node.end, newText: fix.newText }] };
  if (hit.node.kind !== 'string') return undefined;
  return {
    title: fix.title,
    edits: fix.ranges.map(([a, b]) => ({
      start: rawOffsetInString(text, hit.node, a),
      end: rawOffsetInString(text, hit.node, b),
      newText: '',
    })),
  };
}

function idOf(o: Obj): { id: string; key: string } | undefined {
  const key = pickFirst(o, ID_KEYS);
  if (!key) return undefined;
  const v = o[key];
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  return { id: String(v).trim(), key };
}

/** Lints one line of a JSONL file on its own. */
export function lintRow(text: string, opts: RowLintOptions = {}): RowLint {
  let rowStart = 0;
  let rowEnd = text.length;
  while (rowStart < rowEnd && /\s/.test(text[rowStart]!)) rowStart++;
  while (rowEnd > rowStart && /\s/.test(text[rowEnd - 1]!)) rowEnd--;
  if (rowStart === rowEnd) return { kind: 'blank', rowStart, rowEnd, findings: [], dropped: 0 };

  const cap = opts.maxFindingsPerRow ?? 20;
  const findings: LocalFinding[] = [];
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    let n = 0;
    for (let i = bad; i >= 0; i = text.indexOf('\uFFFD', i + 1)) n++;
    findings.push({
      rule: 'invalid-utf8',
      severity: 'warning',
      message: `The file is not valid UTF-8 here: ${describeChar('\uFFFD')}${n > 1 ? `, ${n} times on this row` : ''}. The text was garbled before it reached this file; re-export the data as UTF-8 from its source.`,
      start: bad,
      end: bad + 1,
    });
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const scanned = scanJson(text);
    const err = scanned.error;
    if (err) {
      findings.push({
        rule: 'json-syntax',
        severity: 'error',
        message: err.message,
        start: err.offset,
        end: err.offset + err.length,
        ...(err.fix ? { fix: err.fix } : {}),
      });
    } else {
      findings.push({
        rule: 'json-syntax',
        severity: 'error',
        message: `Not valid JSON: ${(e as Error).message}.`,
        start: rowStart,
        end: rowEnd,
      });
    }
    return { kind: 'invalid', rowStart, rowEnd, findings, dropped: 0 };
  }
  if (!isObj(value)) {
    findings.push({
      rule: 'row-shape',
      severity: 'error',
      message: `Each row must be a JSON object ({...}); this one is ${typeName(value)}. ${Array.isArray(value) ? 'If this is a whole JSON array, write one element per line instead.' : 'Wrap it in an object with the fields your format needs.'}`,
      start: rowStart,
      end: rowEnd,
    });
    return { kind: 'invalid', rowStart, rowEnd, findings, dropped: 0 };
  }

  const shape: RowShape | undefined = classifyRow(value);
  const c = new RowChecker(Math.max(0, cap - findings.length));
  switch (shape?.shape) {
    case 'sft-messages':
      checkSftMessages(c, value);
      break;
    case 'sft-fields':
      checkSftFields(c, value);
      break;
    case 'rl-math':
      checkRl(c, value);
      break;
    case undefined:
      break;
    default:
      checkDpo(c, value, shape!.shape);
  }

  if (c.pending.length) {
    const scanned = scanJson(text);
    const root = scanned.root;
    for (const p of c.pending) {
      const [start, end] = root ? resolveRange(text, root, p, rowStart, rowEnd) : [rowStart, rowEnd];
      const fix = root && p.fix ? resolveFix(text, root, p.fix, p.path) : undefined;
      findings.push({
        rule: p.rule,
        severity: p.severity,
        message: p.message,
        start,
        end,
        ...(p.path.length ? { path: formatPath(p.path) } : {}),
        ...(fix ? { fix } : {}),
      });
    }
  }

  if (findings.length > 1) findings.sort((a, b) => a.start - b.start);
  const row: RowLint = { kind: 'row', rowStart, rowEnd, findings, dropped: c.dropped };
  const id = idOf(value);
  if (id) {
    row.id = id.id;
    row.idKey = id.key;
  }
  if (shape) {
    row.shape = shape.shape;
    if (shape.variant) row.variant = shape.variant;
    row.est = estimateTokens(conversationsOf(value, shape.shape));
  } else {
    row.keys = Object.keys(value);
    const hint = foreignFormatHint(value);
    if (hint) row.hint = hint;
  }
  return row;
}

/** The range of a top-level key's value in a line (for duplicate ids), or undefined. */
export function valueRange(text: string, key: string): [number, number] | undefined {
  const scanned = scanJson(text);
  if (!scanned.root) return undefined;
  const hit = nodeAt(scanned.root, [key]);
  return hit ? [hit.node.start, hit.node.end] : undefined;
}
