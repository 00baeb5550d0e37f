import { randomBytes, randomInt } from 'node:crypto';
import { Template } from '@huggingface/jinja';
import type { z } from 'zod';
import { CATALOG, findModel } from '../catalog';
import type { EmulatorCore } from '../core';
import { HttpError, json, validationError, type Reply } from '../http';
import type { LanguageModel } from '../languageModel';
import { seededRng } from '../rng';
import type { Handler, Router } from '../router';
import { generate } from '../sampler';
import { OaiChatRequest, OaiCompletionRequest } from '../schemas';
import { checkContext, resolveSamplerTarget } from './sampling';

const BASE = '/oai/api/v1';

/** OpenAI's error shape; MinT's compatible routes answer in it rather than FastAPI's. */
function oaiError(status: number, message: string, code: string | null = null, type = 'invalid_request_error'): HttpError {
  return new HttpError(status, { error: { message, type, code } });
}

/** Converts any error a shared helper throws into OpenAI's shape, keeping its status. */
function oai(handler: Handler): Handler {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const b = err.body as { detail?: unknown; error?: unknown };
      if (b && typeof b === 'object' && 'error' in b && typeof b.error === 'object') throw err;
      const message = typeof b?.detail === 'string' ? b.detail : Array.isArray(b?.detail) ? (b.detail as { loc: unknown[]; msg: string }[]).map((d) => `${d.loc.slice(1).join('.')}: ${d.msg}`).join('; ') : err.message;
      throw oaiError(err.status === 422 ? 400 : err.status, message, err.status === 404 ? 'model_not_found' : null);
    }
  };
}

function parseOai<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw validationError(r.error);
  return r.data;
}

let chatTemplate: Template | undefined;

function renderChat(model: LanguageModel, messages: unknown[]): string {
  if (!chatTemplate) {
    const source = model.tok.config['chat_template'];
    if (typeof source !== 'string') throw oaiError(500, 'The tokenizer has no chat_template; use /completions instead.', null, 'server_error');
    chatTemplate = new Template(source);
  }
  try {
    return chatTemplate.render({ messages, add_generation_prompt: true, bos_token: '', eos_token: '<|im_end|>' });
  } catch (err) {
    // The template itself raises on conversations it cannot render (e.g. a misplaced system turn).
    throw oaiError(400, `The model's chat template rejected these messages: ${(err as Error).message}`, 'invalid_messages');
  }
}

function modelObject(id: string) {
  return { id, object: 'model', created: 1_700_000_000, owned_by: 'mint' };
}

interface Completion {
  text: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

async function complete(
  core: EmulatorCore,
  p: { model: string; max_tokens: number; temperature: number; top_p: number; stop?: string | string[] | null | undefined; stream: boolean; n: number; seed?: number | null | undefined },
  promptText: string,
): Promise<Completion> {
  if (p.stream) throw oaiError(400, 'stream=true is not supported by this server; send stream=false.', 'unsupported_parameter');
  if (p.n !== 1) throw oaiError(400, `n=${p.n} is not supported; this server returns exactly one choice (n=1).`, 'unsupported_parameter');
  const target = resolveSamplerTarget(core, p.model.includes('://') ? { modelPath: p.model } : { baseModel: p.model });
  const lm = core.model;
  const prompt = lm.encode(promptText);
  checkContext(target.baseModel, prompt.length, p.max_tokens);
  const stops = p.stop == null ? [] : typeof p.stop === 'string' ? [p.stop] : p.stop;
  if (core.config.latencyMs > 0) await new Promise((r) => setTimeout(r, core.config.latencyMs));
  const seq = generate(
    lm,
    target.adapter,
    prompt,
    { maxTokens: p.max_tokens, temperature: p.temperature, topP: p.top_p, topK: -1, stopStrings: stops, stopTokens: [] },
    seededRng(p.seed ?? randomInt(2 ** 32 - 1)),
  );
  let text = lm.decode(seq.tokens, true);
  // OpenAI leaves the matched stop sequence out of the text.
  for (const s of stops) {
    const at = s ? text.indexOf(s) : -1;
    if (at >= 0) text = text.slice(0, at);
  }
  return { text, finishReason: seq.stop_reason, promptTokens: prompt.length, completionTokens: seq.tokens.length };
}

const usage = (c: Completion) => ({ prompt_tokens: c.promptTokens, completion_tokens: c.completionTokens, total_tokens: c.promptTokens + c.completionTokens });

export function registerOpenAI(r: Router): void {
  r.add('GET', `${BASE}/models`, () => json({ object: 'list', data: CATALOG.map((m) => modelObject(m.model_name)) }));

  r.add(
    'GET',
    new RegExp(`^${BASE}/models/(.+)$`),
    oai((ctx) => {
      const id = ctx.params[0]!;
      if (!findModel(id)) throw oaiError(404, `The model '${id}' does not exist on this server; GET ${BASE}/models lists them.`, 'model_not_found');
      return json(modelObject(id));
    }),
  );

  r.add(
    'POST',
    `${BASE}/completions`,
    oai(async (ctx): Promise<Reply> => {
      const body = parseOai(OaiCompletionRequest, ctx.body);
      const c = await complete(ctx.core, body, body.prompt);
      return json({
        id: `cmpl-${randomBytes(12).toString('hex')}`,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, text: c.text, finish_reason: c.finishReason, logprobs: null }],
        usage: usage(c),
      });
    }),
  );

  r.add(
    'POST',
    `${BASE}/chat/completions`,
    oai(async (ctx): Promise<Reply> => {
      const body = parseOai(OaiChatRequest, ctx.body);
      const messages = body.messages.map((m) => ({ ...m, content: typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => p.text).join('') }));
      const c = await complete(ctx.core, body, renderChat(ctx.core.model, messages));
      return json({
        id: `chatcmpl-${randomBytes(12).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: c.text }, finish_reason: c.finishReason, logprobs: null }],
        usage: usage(c),
      });
    }),
  );
}
