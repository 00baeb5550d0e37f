/**
 * What MinT/Tinker text looks like in a Python process's output: the exception classes of the SDK
 * (`tinker`, re-exported by mindlab-toolkit's `mint`) and of the cookbook, the ids the SDK and the
 * server print (request ids, Log IDs, trace ids, checkpoint paths), the server's words inside an
 * `Error code: N - {...}` body, and the SDK's "queue paused" log lines. No VS Code, no I/O.
 */
import { parsePyLiteral, type PyValue } from './pyLiteral';

export type Family = 'sdk' | 'cookbook' | 'builtin';

/** tinker's exported exception classes (their `__module__` is "tinker"), plus lib.retryable_exception's. */
export const SDK_CLASSES: readonly string[] = Object.freeze([
  'TinkerError',
  'APIError',
  'APIStatusError',
  'APIConnectionError',
  'APITimeoutError',
  'APIResponseValidationError',
  'BadRequestError',
  'AuthenticationError',
  'PermissionDeniedError',
  'NotFoundError',
  'ConflictError',
  'UnprocessableEntityError',
  'RateLimitError',
  'InternalServerError',
  'RequestFailedError',
  'SidecarError',
  'SidecarStartupError',
  'SidecarDiedError',
  'SidecarIPCError',
  'RetryableException',
]);

/** tinker_cookbook.exceptions. */
export const COOKBOOK_CLASSES: readonly string[] = Object.freeze([
  'TinkerCookbookError',
  'ConfigurationError',
  'DataError',
  'DataFormatError',
  'DataValidationError',
  'RendererError',
  'TrainingError',
  'CheckpointError',
  'AllTrajectoriesFailedError',
  'WeightsError',
  'WeightsDownloadError',
  'WeightsMergeError',
  'WeightsAdapterError',
  'SandboxError',
  'EvalError',
  'EvalTimeoutError',
  'EvalGradingError',
  'BenchmarkNotFoundError',
]);

const SDK_SET = new Set(SDK_CLASSES);
const COOKBOOK_SET = new Set(COOKBOOK_CLASSES);

const SDK_ROOTS = new Set(['tinker', 'mint']);
const COOKBOOK_ROOTS = new Set(['tinker_cookbook', 'mint_cookbook']);
const ERROR_SUFFIX_RE = /(?:Error|Exception)$/;

/**
 * Text that only the SDK puts in the message of a builtin exception (ValueError, TimeoutError,
 * RuntimeError, ...): its request-id reprs and its retrieve/sample failure phrases.
 */
const BUILTIN_MARKER_RE =
  /self\.request_id=|Error retrieving result|Failed to sample after exhausting retries|Promise expired\/broken for request|waiting for result of /;

/**
 * The family of a printed exception name, or undefined when it is not MinT's. `strict` (a line cut
 * at the end of the stream) accepts only names that are known in full.
 */
export function classify(qualifiedName: string, message: string, strict: boolean): { family: Family; className: string } | undefined {
  const dot = qualifiedName.lastIndexOf('.');
  const className = qualifiedName.slice(dot + 1);
  if (dot > 0) {
    const root = qualifiedName.slice(0, qualifiedName.indexOf('.'));
    if (SDK_ROOTS.has(root)) {
      if (SDK_SET.has(className) || (!strict && ERROR_SUFFIX_RE.test(className))) return { family: 'sdk', className };
    } else if (COOKBOOK_ROOTS.has(root)) {
      if (COOKBOOK_SET.has(className) || (!strict && ERROR_SUFFIX_RE.test(className))) return { family: 'cookbook', className };
    }
  }
  if (className && BUILTIN_MARKER_RE.test(message)) return { family: 'builtin', className };
  return undefined;
}

/** True when `qualifiedName` is a MinT class name printed in full (used for a line cut at end of stream). */
export function isKnownQualifiedName(qualifiedName: string): boolean {
  return classify(qualifiedName, '', true) !== undefined;
}

const COMPLETE_FIXED_RE = /^(?:Connection error\.|Request timed out\.|Error code: \d{3}|Promise expired\/broken for request \S+)$/;
const ERROR_CODE_BODY_RE = /^Error code: \d{3} - (?=[{[])/;

/**
 * True when the first line of a message is already one of the SDK's whole messages, so the lines
 * after it are not part of it: `Error code: N`, `Error code: N - <a complete dict/list repr>`,
 * "Connection error.", "Request timed out.", the f-strings with their `self.request_id=` tail, or
 * no message at all.
 */
export function isCompleteSdkMessage(text: string): boolean {
  if (text === '' || COMPLETE_FIXED_RE.test(text) || text.includes('self.request_id=')) return true;
  const body = ERROR_CODE_BODY_RE.exec(text);
  if (!body) return false;
  const v = parsePyLiteral(text, body[0].length);
  return v !== undefined && text.slice(v.end).trim() === '';
}

export interface MessageFacts {
  requestId?: string;
  logId?: string;
  traceId?: string;
  status?: number;
  detail?: string;
  checkpoint?: string;
}

/** Characters of an unquoted id; trailing punctuation is trimmed off afterwards. */
const ID = '[A-Za-z0-9][\\w\\-:.]{0,199}';
const MAX_DETAIL = 1024;

const SELF_REQUEST_ID_RE = /self\.request_id=(?:'([^'\n]{1,200})'|"([^"\n]{1,200})")/;
const REQUEST_ID_EQ_RE = new RegExp(`(?<!\\w)request_id=(?:'([^'\\s]{1,200})'|"([^"\\s]{1,200})"|(${ID}))`, 'g');
const REQUEST_ID_KEY_RE = /(['"])request_id\1\s*:\s*(['"])([^'"\s]{1,200})\2/;
const REQUEST_ID_WORDS_RE = new RegExp(`(?<![\\w-])(?:x-)?request[ _-]id\\b['"]?:?\\s*['"]?(${ID})`, 'gi');
const FOR_REQUEST_RE = new RegExp(`\\bfor request (${ID})`, 'g');
const LOG_ID_RE = new RegExp(`(?<!\\w)Log ID:?\\s*['"]?(${ID})`, 'gi');
const TRACE_ID_RE = new RegExp(`(?<![\\w-])(?:x-)?trace[ _-]id\\b['"]?:?\\s*['"]?(${ID})`, 'gi');
const CHECKPOINT_RE = /(?<![\w+.-])(?:tinker|mint):\/\/[^\s'"<>()[\]{},;|`]+/g;
const CHECKPOINT_SHAPE_RE = /^(?:tinker|mint):\/\/[^/]+\/(?:weights|sampler_weights)\/[^/]+$/;
const BARE_CKPT_RE = /(?<![\w\-/.])ckpt_[A-Za-z0-9]+(?![\w-])/g;

function trimId(id: string): string {
  let end = id.length;
  while (end > 0 && '.:,;_-'.includes(id[end - 1]!)) end--;
  return id.slice(0, end);
}

/** An unquoted word after "request id"/"Log ID" is an id when it has some length and a digit (or is long hex), unlike "is" or "None". */
function idLike(id: string): boolean {
  return id.length >= 6 && (/\d/.test(id) || /^[0-9a-f]{16,}$/i.test(id));
}

function firstId(re: RegExp, text: string, group = 1): { id: string; at: number } | undefined {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const id = trimId(m[group] ?? '');
    if (idLike(id)) return { id, at: m.index + m[0].length - (m[group] ?? '').length };
  }
  return undefined;
}

/** The request id a message names: `self.request_id='X'` first, then the other spellings in order of appearance. */
function requestIdIn(text: string): string | undefined {
  const self = SELF_REQUEST_ID_RE.exec(text);
  if (self) return self[1] ?? self[2];
  REQUEST_ID_EQ_RE.lastIndex = 0;
  for (let m = REQUEST_ID_EQ_RE.exec(text); m; m = REQUEST_ID_EQ_RE.exec(text)) {
    const id = m[1] ?? m[2] ?? trimId(m[3] ?? '');
    if (id && id !== 'None') return id;
  }
  const key = REQUEST_ID_KEY_RE.exec(text);
  if (key) return key[3];
  return (firstId(REQUEST_ID_WORDS_RE, text) ?? firstId(FOR_REQUEST_RE, text))?.id;
}

const ERROR_CODE_RE = /\bError code: (\d{3})\b/;
const STATUS_RE = /\bstatus_code=(\d{3})\b|\bstatus(?: code)?:? (\d{3})\b/;
const REQUEST_FAILED_RE = /^Request failed: ([\s\S]*?) for self\.request_id=/;
/** When the body is cut short: its 'detail' (or 'error', 'message') string, found without parsing. */
const DETAIL_FALLBACK_RE = /(['"])(detail|error|message|msg)\1\s*:\s*(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")/;

function isRecord(v: PyValue | undefined): v is { [key: string]: PyValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The server's own words in an error body: FastAPI's detail (a string, or 422's list), the auth middleware's error, a message. */
export function detailOfBody(body: PyValue): string | undefined {
  if (typeof body === 'string') return body;
  if (!isRecord(body)) return undefined;
  const d = body.detail;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) {
    const parts = d.map((item) => {
      if (!isRecord(item)) return typeof item === 'string' ? item : JSON.stringify(item);
      const loc = Array.isArray(item.loc) ? item.loc.map(String).join('.') : '';
      const msg = typeof item.msg === 'string' ? item.msg : JSON.stringify(item);
      return loc ? `${loc}: ${msg}` : msg;
    });
    return parts.length ? parts.join('; ') : undefined;
  }
  if (isRecord(d)) {
    if (typeof d.error === 'string') return d.error;
    if (typeof d.message === 'string') return d.message;
  }
  if (typeof body.error === 'string') return body.error;
  if (isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (typeof body.message === 'string') return body.message;
  return undefined;
}

function unescapePy(s: string): string {
  const v = parsePyLiteral(`'${s.replace(/'/g, "\\'")}'`);
  return typeof v?.value === 'string' ? v.value : s;
}

/** Ids, status and the server's words in one exception message (its whole text, continuation lines included). */
export function analyseMessage(text: string): MessageFacts {
  const out: MessageFacts = {};
  const code = ERROR_CODE_RE.exec(text);
  if (code) {
    out.status = Number(code[1]);
    const after = code.index + code[0].length;
    if (text.startsWith(' - ', after)) {
      const body = parsePyLiteral(text, after + 3);
      if (body) out.detail = detailOfBody(body.value);
      else {
        const m = DETAIL_FALLBACK_RE.exec(text.slice(after + 3));
        if (m) out.detail = unescapePy(m[3] ?? m[4] ?? '');
      }
    }
  } else {
    const st = STATUS_RE.exec(text);
    if (st) out.status = Number(st[1] ?? st[2]);
  }
  const failed = REQUEST_FAILED_RE.exec(text);
  if (failed && out.detail === undefined) out.detail = failed[1];
  if (out.detail !== undefined) {
    const d = out.detail.trim();
    out.detail = d ? (d.length > MAX_DETAIL ? `${d.slice(0, MAX_DETAIL)}…` : d) : undefined;
  }
  const requestId = requestIdIn(text);
  const logId = firstId(LOG_ID_RE, text)?.id;
  const traceId = firstId(TRACE_ID_RE, text)?.id;
  if (logId) out.logId = logId;
  if (traceId) out.traceId = traceId;
  const best = requestId ?? logId ?? traceId;
  if (best) out.requestId = best;
  CHECKPOINT_RE.lastIndex = 0;
  for (let m = CHECKPOINT_RE.exec(text); m; m = CHECKPOINT_RE.exec(text)) {
    const path = trimPath(m[0]);
    if (CHECKPOINT_SHAPE_RE.test(path)) {
      out.checkpoint = path;
      break;
    }
  }
  if (out.checkpoint === undefined) {
    BARE_CKPT_RE.lastIndex = 0;
    const m = BARE_CKPT_RE.exec(text);
    if (m) out.checkpoint = m[0];
  }
  return out;
}

function trimPath(p: string): string {
  let end = p.length;
  while (end > 0 && '.:'.includes(p[end - 1]!)) end--;
  return p.slice(0, end);
}

// ---------------------------------------------------------------------------------------------
// Terminal links

export type LineLinkKind = 'requestId' | 'logId' | 'traceId' | 'checkpoint' | 'exceptionClass';

export interface LineLink {
  /** Offset of the linked text in the line given to findLinks. */
  start: number;
  length: number;
  kind: LineLinkKind;
  /** The id, the checkpoint path, or the class name as printed (qualified when it was). */
  value: string;
  /** For exceptionClass: the bare class name, e.g. 'RateLimitError'. */
  className?: string;
}

const byLengthDesc = (a: string, b: string) => b.length - a.length;
const ALL_NAMES = [...SDK_CLASSES, ...COOKBOOK_CLASSES].sort(byLengthDesc).join('|');
const QUALIFIED_CLASS_RE = new RegExp(
  `(?<![\\w.])(?:tinker_cookbook|mint_cookbook|(?:mint\\.)?(?:tinker|mint))(?:\\.[A-Za-z_]\\w*)*?\\.(${ALL_NAMES})(?!\\w)`,
  'g',
);
const BARE_CLASS_RE = new RegExp(`(?<![\\w.])(${ALL_NAMES})(?=\\()`, 'g');
const REQUEST_EQ_LINK_RE = new RegExp(`(?<!\\w)request_id=(?:'([^'\\s]{1,200})(?=')|"([^"\\s]{1,200})(?=")|(${ID}))`, 'g');
const REQUEST_KEY_LINK_RE = /(['"])request_id\1\s*:\s*(['"])([^'"\s]{1,200})(?=\2)/g;
const LINK_GATE_RE = /request|log id|trace|:\/\/|ckpt_|error|exception/i;

/**
 * Every linkable span in one terminal line (plain text, as the terminal hands it to a link
 * provider): request ids, Log IDs, trace ids, checkpoint paths and MinT exception class names.
 * Only the id itself is linked, never `request_id=`; a match never starts or ends inside a longer
 * word. Spans do not overlap; sorted by start.
 */
export function findLinks(line: string): LineLink[] {
  if (!LINK_GATE_RE.test(line)) return [];
  const out: LineLink[] = [];
  const add = (start: number, value: string, kind: LineLinkKind, className?: string) => {
    if (value) out.push(className ? { start, length: value.length, kind, value, className } : { start, length: value.length, kind, value });
  };
  const lower = line.toLowerCase();
  if (lower.includes('request')) {
    REQUEST_EQ_LINK_RE.lastIndex = 0;
    for (let m = REQUEST_EQ_LINK_RE.exec(line); m; m = REQUEST_EQ_LINK_RE.exec(line)) {
      const raw = m[1] ?? m[2] ?? m[3] ?? '';
      const id = m[3] !== undefined ? trimId(raw) : raw;
      if (id && id !== 'None') add(m.index + m[0].length - raw.length, id, 'requestId');
    }
    REQUEST_KEY_LINK_RE.lastIndex = 0;
    for (let m = REQUEST_KEY_LINK_RE.exec(line); m; m = REQUEST_KEY_LINK_RE.exec(line)) {
      add(m.index + m[0].length - m[3]!.length, m[3]!, 'requestId');
    }
    eachId(REQUEST_ID_WORDS_RE, line, (at, id) => add(at, id, 'requestId'));
    eachId(FOR_REQUEST_RE, line, (at, id) => add(at, id, 'requestId'));
  }
  if (lower.includes('log id')) eachId(LOG_ID_RE, line, (at, id) => add(at, id, 'logId'));
  if (lower.includes('trace')) eachId(TRACE_ID_RE, line, (at, id) => add(at, id, 'traceId'));
  if (line.includes('://')) {
    CHECKPOINT_RE.lastIndex = 0;
    for (let m = CHECKPOINT_RE.exec(line); m; m = CHECKPOINT_RE.exec(line)) {
      const path = trimPath(m[0]);
      if (CHECKPOINT_SHAPE_RE.test(path)) add(m.index, path, 'checkpoint');
    }
  }
  if (line.includes('ckpt_')) {
    BARE_CKPT_RE.lastIndex = 0;
    for (let m = BARE_CKPT_RE.exec(line); m; m = BARE_CKPT_RE.exec(line)) add(m.index, m[0], 'checkpoint');
  }
  if (line.includes('Error') || line.includes('Exception')) {
    QUALIFIED_CLASS_RE.lastIndex = 0;
    for (let m = QUALIFIED_CLASS_RE.exec(line); m; m = QUALIFIED_CLASS_RE.exec(line)) {
      const name = m[1]!;
      const cookbookRoot = m[0].startsWith('tinker_cookbook') || m[0].startsWith('mint_cookbook');
      if (cookbookRoot === COOKBOOK_SET.has(name)) add(m.index, m[0], 'exceptionClass', name);
    }
    BARE_CLASS_RE.lastIndex = 0;
    for (let m = BARE_CLASS_RE.exec(line); m; m = BARE_CLASS_RE.exec(line)) add(m.index, m[0], 'exceptionClass', m[1]!);
  }
  if (out.length < 2) return out;
  out.sort((a, b) => a.start - b.start || b.length - a.length);
  const kept: LineLink[] = [];
  let end = -1;
  for (const l of out) {
    if (l.start < end) continue;
    kept.push(l);
    end = l.start + l.length;
  }
  return kept;
}

function eachId(re: RegExp, line: string, f: (at: number, id: string) => void): void {
  re.lastIndex = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const raw = m[1] ?? '';
    const id = trimId(raw);
    if (idLike(id)) f(m.index + m[0].length - raw.length, id);
  }
}

// ---------------------------------------------------------------------------------------------
// Queue-state lines

export interface PausedFinding {
  kind: 'paused';
  /** 0-based output line. */
  line: number;
  /** What is paused, as the SDK words it: 'Training', 'Model creation', 'Sampling', ... */
  operation: string;
  /** The model, run or sampler it names. */
  subject: string;
  reason: string;
}

const PAUSED_RE = /(?:^|[\s:\]|-])([A-Z][a-z]+(?: [a-z]+)*) for (\S+) is paused\. Reason: (.*?)\.?\s*$/;
const SAMPLING_PAUSED_RE = /(?:^|[\s:\]|-])Sampling is paused for sampler (\S+?)\.? Reason: (.*?)\.?\s*$/;

/** The SDK's queue-state warning in one line (`Training for <id> is paused. Reason: ...`), or undefined. */
export function parsePausedLine(line: string, index = 0): PausedFinding | undefined {
  if (line.indexOf(' is paused') < 0) return undefined;
  const s = SAMPLING_PAUSED_RE.exec(line);
  if (s) return { kind: 'paused', line: index, operation: 'Sampling', subject: s[1]!, reason: s[2]! };
  const m = PAUSED_RE.exec(line);
  if (m) return { kind: 'paused', line: index, operation: m[1]!, subject: m[2]!, reason: m[3]! };
  return undefined;
}
