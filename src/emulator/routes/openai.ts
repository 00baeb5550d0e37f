import { randomBytes, randomInt } from 'node:crypto';
import { Template } from '@huggingface/jinja';
import { CATALOG, findModel } from '../catalog';
import type { EmulatorCore } from '../core';
import { HttpError, json, parseWith, type Reply } from '../http';
import type { LanguageModel } from '../languageModel';
import { seededRng } from '../rng';
import type { Handler, Router } from '../router';
import { generate } from '../sampler';
import { OaiChatRequest, OaiCompletionRequest } from '../schemas';
import { checkContext, resolveSamplerTarget } from './sampling';

const BASE = '/oai/api/v1';

/** MinT's handler errors: OpenAI's shape, always `invalid_request_error`, never a code. */
function oaiError(status: number, message: string): HttpError {
  return new HttpError(status, { error: { message, type: 'invalid_request_error', code: null } });
}

/**
 * Converts what a shared helper throws into OpenAI's shape with its status, as MinT's handlers
 * do. Request validation runs before this (FastAPI's 422 `{"detail": [...]}`), so it is not here.
 */
function oai(handler: Handler): Handler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const b = err.body as { detail?: unknown; error?: unknown };
      if (b && typeof b === 'object' && 'error' in b && typeof b.error === 'object') throw err;
      throw oaiError(err.status, typeof b?.detail === 'string' ? b.detail : err.message);
    }
  };
}

let chatTemplate: Template | undefined;

function renderChat(model: LanguageModel, messages: unknown[], tools: unknown[] | undefined): string {
  if (!chatTemplate) {
    const source = model.tok.config['chat_template'];
    if (typeof source !== 'string') throw oaiError(500, 'The tokenizer has no chat_template; use /completions instead.');
    chatTemplate = new Template(source);
  }
  try {
    return chatTemplate.render({ messages, tools, add_generation_prompt: true, bos_token: '', eos_token: '<|im_end|>' });
  } catch (err) {
    // The template itself raises on conversations it cannot render (e.g. a misplaced system turn).
    throw oaiError(400, `The model's chat template rejected these messages: ${(err as Error).message}`);
  }
}

function modelObject(id: string) {
  return { id, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'mint' };
}

interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

interface OaiSamplingParams {
  model: string;
  max_tokens: number;
  temperature: number;
  top_p: number;
  stop?: string | string[] | null | undefined;
  stream: boolean;
  n: number;
}

/** The checks MinT's handlers make before sampling, with MinT's wording. */
function checkRequest(p: OaiSamplingParams): void {
  if (p.stream) throw oaiError(400, 'stream=True is not supported');
  if (p.n !== 1) throw oaiError(400, 'Only n=1 is supported');
  if (p.max_tokens < 1) throw oaiError(400, `max_tokens must be at least 1, got ${p.max_tokens}.`);
  if (p.temperature < 0) throw oaiError(400, `temperature must be non-negative, got ${p.temperature}.`);
  if (!(p.top_p > 0 && p.top_p <= 1)) throw oaiError(400, `top_p must be in (0, 1], got ${p.top_p}.`);
}

async function complete(core: EmulatorCore, p: OaiSamplingParams, promptText: string): Promise<Completion> {
  const target = resolveSamplerTarget(core, p.model.includes('://') ? { modelPath: p.model } : { baseModel: p.model });
  const lm = core.model;
  const prompt = lm.encode(promptText);
  checkContext(target.baseModel, prompt.length, p.max_tokens);
  const stops = p.stop == null ? [] : typeof p.stop === 'string' ? [p.stop] : p.stop;
  if (core.config.latencyMs > 0) await new Promise((r) => setTimeout(r, core.config.latencyMs));
  // MinT's OpenAI routes take no seed, so each call draws its own.
  const seq = generate(
    lm,
    target.adapter,
    prompt,
    { maxTokens: p.max_tokens, temperature: p.temperature, topP: p.top_p, topK: -1, stopStrings: stops, stopTokens: [] },
    seededRng(randomInt(2 ** 32 - 1)),
  );
  let text = lm.decode(seq.tokens, true);
  // OpenAI leaves the matched stop sequence out of the text.
  for (const s of stops) {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0) text = text.slice(0, at);
  }
  return { text, finishReason: seq.stop_reason, promptTokens: prompt.length, completionTokens: seq.tokens.length };
}

/**
 * The function the caller forces, if any: a named `tool_choice`, or the first tool under
 * "required". The bigram model cannot write a tool call itself, so only a forced call is made,
 * with empty arguments; under "auto" it always answers in text.
 */
function forcedTool(body: OaiChatRequest): string | undefined {
  const choice = body.tool_choice;
  if (!body.tools?.length || choice == null || choice === 'none' || choice === 'auto') return undefined;
  if (choice === 'required') return body.tools[0]!.function.name;
  return (choice as { function: { name: string } }).function.name;
}

const usage = (c: { promptTokens: number; completionTokens: number }) => ({
  prompt_tokens: c.promptTokens,
  completion_tokens: c.completionTokens,
  total_tokens: c.promptTokens + c.completionTokens,
});

export function registerOpenAI(r: Router): void {
  r.add('GET', `${BASE}/models`, () => json({ object: 'list', data: CATALOG.map((m) => modelObject(m.model_name)) }));

  r.add(
    'GET',
    new RegExp(`^${BASE}/models/(.+)$`),
    oai((ctx) => {
      const id = ctx.params[0]!;
      if (!findModel(id)) throw oaiError(404, 'Model not found');
      return json(modelObject(id));
    }),
  );

  const completions = oai(async (ctx): Promise<Reply> => {
    const body = ctx.body as ReturnType<typeof OaiCompletionRequest.parse>;
    checkRequest(body);
    const c = await complete(ctx.core, body, body.prompt);
    return json({
      id: `cmpl-${randomBytes(16).toString('hex')}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ text: c.text, index: 0, finish_reason: c.finishReason, logprobs: null }],
      usage: usage(c),
    });
  });
  r.add('POST', `${BASE}/completions`, (ctx) => completions({ ...ctx, body: parseWith(OaiCompletionRequest, ctx.body) }));

  const chat = oai(async (ctx): Promise<Reply> => {
    const body = ctx.body as OaiChatRequest;
    checkRequest(body);
    const tools = body.tools?.length && body.tool_choice !== 'none' ? body.tools : undefined;
    // Qwen3's template reads content as a string even beside tool_calls.
    const promptText = renderChat(
      ctx.core.model,
      body.messages.map((m) => ({ ...m, content: m.content ?? '' })),
      tools,
    );
    const forced = forcedTool(body);
    let message: { role: 'assistant'; content: string | null; tool_calls: unknown[] | null };
    let finish: string;
    let counts: { promptTokens: number; completionTokens: number };
    if (forced) {
      const target = resolveSamplerTarget(ctx.core, body.model.includes('://') ? { modelPath: body.model } : { baseModel: body.model });
      const promptTokens = ctx.core.model.encode(promptText).length;
      checkContext(target.baseModel, promptTokens, body.max_tokens);
      // What Qwen3 writes for this call, so usage counts the tokens a real model would spend.
      const written = `<tool_call>\n{"name": ${JSON.stringify(forced)}, "arguments": {}}\n</tool_call>`;
      const call = { id: `call_${randomBytes(12).toString('hex')}`, type: 'function', function: { name: forced, arguments: '{}' } };
      message = { role: 'assistant', content: null, tool_calls: [call] };
      finish = 'tool_calls';
      counts = { promptTokens, completionTokens: ctx.core.model.encode(written).length };
    } else {
      const c = await complete(ctx.core, body, promptText);
      message = { role: 'assistant', content: c.text, tool_calls: null };
      finish = c.finishReason;
      counts = c;
    }
    return json({
      id: `chatcmpl-${randomBytes(16).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      usage: usage(counts),
    });
  });
  r.add('POST', `${BASE}/chat/completions`, (ctx) => chat({ ...ctx, body: parseWith(OaiChatRequest, ctx.body) }));
}
