/** The form's Prompt section: chat messages with roles, or raw text sent as is. */
import type { Draft, Prompt } from '../../shared/playground';
import { clear, h, type ValueEl } from './dom';

type Message = Draft['prompt']['messages'][number];

export class PromptSection {
  readonly el = h('div', { className: 'prompt' });
  mode: 'chat' | 'raw' = 'chat';
  private messages: Message[] = [
    { role: 'system', content: '' },
    { role: 'user', content: '' },
  ];
  private rawText = '';

  constructor(private readonly cb: { changed(): void }) {}

  setDraft(prompt: Draft['prompt']): void {
    this.mode = prompt.mode;
    if (prompt.messages.length) this.messages = prompt.messages.map((m) => ({ ...m }));
    this.rawText = prompt.text;
  }

  /** What a request sends, or undefined while there is nothing to sample from. */
  read(): Prompt | undefined {
    if (this.mode === 'raw') return this.rawText ? { mode: 'raw', text: this.rawText } : undefined;
    const messages = this.messages.filter((m) => m.content.trim() !== '' || m.role === 'assistant');
    return messages.some((m) => m.content.trim()) ? { mode: 'chat', messages } : undefined;
  }

  /** Everything typed, half-written included, for the draft the host keeps. */
  draft(): Draft['prompt'] {
    return { mode: this.mode, messages: this.messages.map((m) => ({ ...m })), text: this.rawText };
  }

  render(): void {
    clear(this.el);
    const group = h(
      'vscode-radio-group',
      { 'aria-label': 'Prompt mode' },
      h('vscode-radio', { name: 'mode', value: 'chat', checked: this.mode === 'chat', 'data-mode': 'chat' }, 'Chat'),
      h('vscode-radio', { name: 'mode', value: 'raw', checked: this.mode === 'raw', 'data-mode': 'raw' }, 'Raw text'),
    );
    group.addEventListener('change', (e) => {
      const v = (e.target as ValueEl).value;
      if ((v === 'chat' || v === 'raw') && v !== this.mode) {
        this.mode = v;
        this.render();
        this.cb.changed();
      }
    });
    this.el.append(group);
    if (this.mode === 'raw') {
      const ta = h('vscode-textarea', {
        rows: 6,
        resize: 'vertical',
        placeholder: 'Text sent as is (tokenized without a chat template)',
        'aria-label': 'Raw prompt',
        'data-prompt': 'raw',
      }) as ValueEl;
      ta.value = this.rawText;
      ta.addEventListener('input', () => {
        this.rawText = ta.value;
        this.cb.changed();
      });
      this.el.append(ta);
      return;
    }
    this.messages.forEach((m, i) => this.el.append(this.renderMessage(m, i)));
    const add = h('vscode-button', { secondary: true, 'data-action': 'add-message' }, 'Add message');
    add.addEventListener('click', () => {
      const last = this.messages[this.messages.length - 1]?.role;
      this.messages.push({ role: last === 'user' ? 'assistant' : 'user', content: '' });
      this.render();
      this.cb.changed();
    });
    this.el.append(add);
  }

  private renderMessage(m: Message, i: number): HTMLElement {
    const role = h(
      'vscode-single-select',
      { 'aria-label': `Role of message ${i + 1}`, className: 'role' },
      h('vscode-option', { value: 'system' }, 'system'),
      h('vscode-option', { value: 'user' }, 'user'),
      h('vscode-option', { value: 'assistant' }, 'assistant'),
    ) as ValueEl;
    role.value = m.role;
    role.addEventListener('change', () => {
      const v = role.value;
      if (v === 'system' || v === 'user' || v === 'assistant') m.role = v;
      this.cb.changed();
    });
    const ta = h('vscode-textarea', {
      rows: m.role === 'system' ? 2 : 4,
      resize: 'vertical',
      placeholder: `${m.role} message`,
      'aria-label': `Message ${i + 1}`,
      'data-message': i,
    }) as ValueEl;
    ta.value = m.content;
    ta.addEventListener('input', () => {
      m.content = ta.value;
      this.cb.changed();
    });
    const rm = h('vscode-button', { secondary: true, 'aria-label': `Remove message ${i + 1}` }, '×');
    rm.addEventListener('click', () => {
      this.messages.splice(i, 1);
      this.render();
      this.cb.changed();
    });
    return h('div', { className: 'message' }, h('div', { className: 'message-head' }, role, rm), ta);
  }
}
