/**
 * MinT's OpenAI-compatible text endpoint at `{base}/oai/api/v1`: the server tokenizes and applies
 * the chat template, so this works for any model without a local tokenizer (but has no logprobs).
 * The gateway's auth for /oai is not documented, so both auth headers are sent; errors arrive
 * as `{"error":{"message"}}` and go through the same factory as every other route.
 */
import type { z } from 'zod';
import {
  ChatCompletionSchema,
  CompletionSchema,
  OpenAIModelsResponseSchema,
  type ChatCompletion,
  type ChatMessage,
  type Completion,
  type OpenAIModel,
} from './schemas';
import { asNotSupported } from './errors';
import { contextOf, type CallOptions, type Transport } from './transport';

const BASE = 'oai/api/v1/';

/**
 * Only what MinT's /oai accepts: its request models forbid unknown fields (a 422 for `seed`,
 * `user`, `logprobs`, ...), so the client sends these keys and drops anything else it is given.
 */
interface CommonParams {
  model: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
}

export interface ChatCompletionRequest extends CommonParams {
  messages: ChatMessage[];
  tools?: unknown[];
  tool_choice?: unknown;
  parallel_tool_calls?: boolean;
}

const COMMON_KEYS = ['model', 'max_tokens', 'temperature', 'top_p', 'stop'] as const;
const CHAT_KEYS = [...COMMON_KEYS, 'tools', 'tool_choice', 'parallel_tool_calls'] as const;
const MESSAGE_KEYS = ['role', 'content', 'name', 'tool_call_id', 'tool_calls'] as const;

function pick(from: object, keys: readonly string[]): Record<string, unknown> {
  const src = from as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

export interface CompletionRequest extends CommonParams {
  prompt: string;
}

export class OpenAIClient {
  constructor(private readonly transport: Transport) {}

  /** The URL users would give an OpenAI SDK, for "view as code" snippets. */
  get baseUrl(): string {
    return this.transport.url(BASE.slice(0, -1));
  }

  private headers(): Record<string, string> | undefined {
    const key = this.transport.apiKey;
    return key ? { authorization: `Bearer ${key}` } : undefined;
  }

  private async call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: S,
    opts?: CallOptions,
  ): Promise<z.infer<S>> {
    try {
      const { data } = await this.transport.request({ method, path: BASE + path, body, headers: this.headers(), schema }, contextOf(opts));
      return data;
    } catch (err) {
      // Whether a MinT deployment serves /oai under its base URL is not documented; say so plainly.
      throw asNotSupported(`The OpenAI-compatible endpoint (/${BASE}${path})`, err);
    }
  }

  async models(opts?: CallOptions): Promise<OpenAIModel[]> {
    return (await this.call('GET', 'models', undefined, OpenAIModelsResponseSchema, opts)).data;
  }

  /** Always non-streaming with n = 1: MinT answers 400 to anything else. */
  async chatCompletions(req: ChatCompletionRequest, opts?: CallOptions): Promise<ChatCompletion> {
    const body = { ...pick(req, CHAT_KEYS), messages: req.messages.map((m) => pick(m, MESSAGE_KEYS)), stream: false, n: 1 };
    return this.call('POST', 'chat/completions', body, ChatCompletionSchema, opts);
  }

  async completions(req: CompletionRequest, opts?: CallOptions): Promise<Completion> {
    return this.call('POST', 'completions', { ...pick(req, COMMON_KEYS), prompt: req.prompt, stream: false, n: 1 }, CompletionSchema, opts);
  }
}
