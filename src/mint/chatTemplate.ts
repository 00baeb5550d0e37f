/**
 * Chat templates: a model's `tokenizer_config.json` `chat_template` (Jinja) rendered with
 * @huggingface/jinja, the way `transformers`' `apply_chat_template(tokenize=False)` renders it.
 * The rendered string already holds the model's special tokens, so it is encoded without adding more.
 */
import { Template } from '@huggingface/jinja';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatRenderOptions {
  /** End with the assistant header so the model writes the reply (the usual case for sampling). */
  addGenerationPrompt?: boolean;
  /**
   * Qwen3-style templates read `enable_thinking`; false pre-fills an empty think block. Left
   * undefined, the template decides (Qwen3: the model may think).
   */
  enableThinking?: boolean;
}

export class ChatTemplateError extends Error {
  override name = 'ChatTemplateError';
}

/** The special-token strings some templates print (`{{ bos_token }}`); tokenizer_config may hold them as objects. */
export interface TemplateTokens {
  bos_token?: string | undefined;
  eos_token?: string | undefined;
}

/** Parsing a template costs more than rendering it, and one template serves every request of a model. */
const parsed = new Map<string, Template>();

function compile(source: string): Template {
  let t = parsed.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(
        `The model's chat template could not be parsed (${(e as Error).message}). Use raw mode, or point mint.tokenizer.localPath at a tokenizer whose chat_template works.`,
        { cause: e },
      );
    }
    parsed.set(source, t);
  }
  return t;
}

export function renderChat(
  template: string,
  messages: readonly ChatMessage[],
  tokens: TemplateTokens,
  opts: ChatRenderOptions = {},
): string {
  if (messages.length === 0) throw new ChatTemplateError('Add at least one message before sampling in chat mode.');
  const vars: Record<string, unknown> = {
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt ?? true,
    bos_token: tokens.bos_token ?? '',
    eos_token: tokens.eos_token ?? '',
  };
  if (opts.enableThinking !== undefined) vars.enable_thinking = opts.enableThinking;
  try {
    return compile(template).render(vars);
  } catch (e) {
    if (e instanceof ChatTemplateError) throw e;
    throw new ChatTemplateError(
      `The model's chat template failed on these messages (${(e as Error).message}). Check the message roles and order, or use raw mode.`,
      { cause: e },
    );
  }
}
