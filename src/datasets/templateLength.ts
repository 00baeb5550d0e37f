/**
 * Real row lengths: render each conversation with the model's chat template and count tokens with
 * its tokenizer, as the playground does (src/mint/tokenizer.ts + chatTemplate.ts). Kept apart from
 * the linter core, which takes the result as a MeasureFn and never loads a tokenizer itself.
 *
 * The playground's renderChat passes role and content only, so reasoning is written the way Qwen3
 * and similar templates print it, `<think>\n…\n</think>\n\n` before the answer; templates that drop
 * reasoning from earlier turns then do so here too.
 */
import type { ChatMessage, ChatRenderOptions } from '../mint/chatTemplate';
import type { Conversation, MeasureFn } from './types';

/** What a tokenizer must offer; MintTokenizer fits. */
export interface TemplateTokenizer {
  readonly hasChatTemplate?: boolean;
  renderChat(messages: readonly ChatMessage[], opts?: ChatRenderOptions): string;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
}

export interface TemplateMeasureOptions {
  /** Passed to templates that read `enable_thinking` (Qwen3); undefined lets the template decide. */
  enableThinking?: boolean;
}

function toChat(conv: Conversation): ChatMessage[] {
  return conv.messages.map((m) => ({
    // Templates handle "tool" (Qwen3 does); renderChat's type names the three common roles only.
    role: m.role as ChatMessage['role'],
    content: m.reasoning && m.role === 'assistant' ? `<think>\n${m.reasoning}\n</think>\n\n${m.content}` : m.content,
  }));
}

/** mint-cookbook's fallback for tokenizers without a chat template: "role:\ncontent" blocks. */
function plainRender(conv: Conversation): string {
  const text = conv.messages.map((m) => `${m.role}:\n${m.reasoning ? `${m.reasoning}\n` : ''}${m.content}`).join('\n\n');
  return conv.addGenerationPrompt ? `${text}\n\nassistant:` : text;
}

/**
 * A MeasureFn counting the tokens of a row's longest conversation as rendered by `tok`. Returns
 * undefined for a row the template refuses (an odd role order, say) rather than guessing.
 */
export function measureWithTemplate(tok: TemplateTokenizer, opts: TemplateMeasureOptions = {}): MeasureFn {
  return (row) => {
    let best: number | undefined;
    for (const conv of row.conversations) {
      if (conv.messages.length === 0) continue;
      let n: number;
      if (tok.hasChatTemplate === false) {
        n = tok.encode(plainRender(conv), { addSpecialTokens: true }).length;
      } else {
        let text: string;
        try {
          text = tok.renderChat(toChat(conv), {
            addGenerationPrompt: conv.addGenerationPrompt,
            ...(opts.enableThinking !== undefined ? { enableThinking: opts.enableThinking } : {}),
          });
        } catch {
          return undefined;
        }
        n = tok.encode(text, { addSpecialTokens: false }).length;
      }
      if (best === undefined || n > best) best = n;
    }
    return best;
  };
}
