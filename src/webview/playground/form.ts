/**
 * The request form: targets (1-4 models or checkpoints), prompt (chat or raw), parameters.
 * Validation runs on every edit with the shared zod schemas, so the Sample button is only live
 * when the host would accept the message; the host checks again anyway.
 */
import {
  DEFAULT_PARAMS,
  ParamsSchema,
  checkpointPathProblem,
  paramProblems,
  type CheckpointInfo,
  type Draft,
  type ModelInfo,
  type Params,
  type Prompt,
  type Target,
} from '../../shared/playground';
import { clear, h } from './dom';

type ValueEl = HTMLElement & { value: string; invalid?: boolean; disabled?: boolean };
type CheckEl = HTMLElement & { checked: boolean };

const PARAM_FIELDS: Array<{ key: keyof Params; label: string; placeholder: string; hint: string }> = [
  { key: 'max_tokens', label: 'Max tokens', placeholder: 'required', hint: 'Tokens to generate per sample.' },
  { key: 'temperature', label: 'Temperature', placeholder: '1', hint: '0 is greedy.' },
  { key: 'top_p', label: 'Top-p', placeholder: '1', hint: '' },
  { key: 'top_k', label: 'Top-k', placeholder: '-1', hint: '-1 means no limit.' },
  { key: 'seed', label: 'Seed', placeholder: 'random', hint: '' },
  { key: 'num_samples', label: 'Samples', placeholder: '1', hint: '' },
  { key: 'topk_prompt_logprobs', label: 'Top-k prompt logprobs', placeholder: '0', hint: 'Alternatives per prompt token.' },
];

export interface FormCallbacks {
  changed(draft: Draft): void;
  submit(targets: Target[], prompt: Prompt, params: Params): void;
  cancel(): void;
  viewAsCode(targets: Target[], prompt: Prompt, params: Params): void;
  refresh(): void;
}

export interface ContextInfo {
  target: string;
  count?: number | undefined;
  max?: number | undefined;
  note?: string | undefined;
}

export class PlaygroundForm {
  readonly el: HTMLElement;
  private models: ModelInfo[] = [];
  private checkpoints: CheckpointInfo[] = [];
  private targets: Array<{ choice: string; custom: string }> = [{ choice: '', custom: '' }];
  private mode: 'chat' | 'raw' = 'chat';
  private messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [
    { role: 'system', content: '' },
    { role: 'user', content: '' },
  ];
  private rawText = '';
  private paramText: Record<string, string> = {};
  private promptLogprobs = false;
  private pending = false;
  private context: ContextInfo | undefined;

  private readonly targetsEl = h('div', { className: 'targets' });
  private readonly promptEl = h('div', { className: 'prompt' });
  private readonly paramsEl = h('div', { className: 'params' });
  private readonly contextEl = h('div', { className: 'context', 'aria-live': 'polite' });
  private readonly sampleBtn = h('vscode-button', { 'data-action': 'sample' }, 'Sample') as ValueEl;
  private readonly cancelBtn = h('vscode-button', { secondary: true, 'data-action': 'cancel', hidden: true }, 'Cancel') as ValueEl;

  constructor(private readonly cb: FormCallbacks) {
    for (const [k, v] of Object.entries(DEFAULT_PARAMS)) if (typeof v === 'number') this.paramText[k] = String(v);
    this.promptLogprobs = DEFAULT_PARAMS.prompt_logprobs;
    this.sampleBtn.addEventListener('click', () => this.trySubmit());
    this.cancelBtn.addEventListener('click', () => this.cb.cancel());
    const codeBtn = h('vscode-button', { secondary: true, 'data-action': 'code' }, 'View as code');
    codeBtn.addEventListener('click', () => {
      const req = this.request();
      if (req) this.cb.viewAsCode(req.targets, req.prompt, req.params);
    });
    this.el = h(
      'section',
      { className: 'form', 'aria-label': 'Request' },
      h('h2', {}, 'Model'),
      this.targetsEl,
      h('h2', {}, 'Prompt'),
      this.promptEl,
      h('details', { className: 'params-box' }, h('summary', {}, 'Parameters'), this.paramsEl),
      this.contextEl,
      h('div', { className: 'actions' }, this.sampleBtn, this.cancelBtn, codeBtn),
    );
    this.renderAll();
  }

  setCatalog(models: ModelInfo[], checkpoints: CheckpointInfo[]): void {
    this.models = models;
    this.checkpoints = checkpoints;
    const first = this.targets[0];
    // Until the list arrives the first row can only say "custom"; once models exist, default to one.
    if (first && (!first.choice || (first.choice === 'custom' && !first.custom)) && models[0]) first.choice = `base:${models[0].model_name}`;
    this.renderTargets();
    this.validate();
  }

  setDraft(d: Draft): void {
    this.targets = d.targets.length
      ? d.targets.map((t) =>
          'base_model' in t ? { choice: `base:${t.base_model}`, custom: '' } : this.isKnownPath(t.model_path) ? { choice: `path:${t.model_path}`, custom: '' } : { choice: 'custom', custom: t.model_path },
        )
      : this.targets;
    this.mode = d.prompt.mode;
    if (d.prompt.messages.length) this.messages = d.prompt.messages.map((m) => ({ ...m }));
    this.rawText = d.prompt.text;
    this.paramText = { ...(d.paramText ?? {}) };
    for (const [k, v] of Object.entries(d.params)) if (typeof v === 'number' && this.paramText[k] === undefined) this.paramText[k] = String(v);
    if (d.params.stop && this.paramText.stop === undefined) this.paramText.stop = d.params.stop.map(escapeStop).join('\n');
    this.promptLogprobs = d.params.prompt_logprobs ?? d.paramText?.prompt_logprobs === 'true';
    this.renderAll();
  }

  setPending(pending: boolean): void {
    this.pending = pending;
    this.cancelBtn.hidden = !pending;
    this.validate();
  }

  setContext(info: ContextInfo): void {
    this.context = info;
    this.validate();
  }

  /** The first target as text, for the token-count request. */
  firstTarget(): Target | undefined {
    return this.readTargets()[0];
  }

  currentPrompt(): Prompt | undefined {
    return this.readPrompt();
  }

  private isKnownPath(p: string): boolean {
    return this.checkpoints.some((c) => c.path === p);
  }

  private renderAll(): void {
    this.renderTargets();
    this.renderPrompt();
    this.renderParams();
    this.validate();
  }

  private renderTargets(): void {
    clear(this.targetsEl);
    this.targets.forEach((t, i) => {
      const select = h('vscode-single-select', { 'aria-label': `Model ${i + 1}`, 'data-target': i }) as ValueEl;
      const opts: HTMLElement[] = [];
      for (const m of this.models) {
        const ctx = m.max_context_length ? ` (${m.max_context_length.toLocaleString('en-US')} ctx)` : '';
        opts.push(h('vscode-option', { value: `base:${m.model_name}`, description: 'base model' }, m.model_name + ctx));
      }
      for (const c of this.checkpoints) {
        opts.push(h('vscode-option', { value: `path:${c.path}`, description: `checkpoint of ${c.base_model}` }, `${c.run_id} / ${c.name}`));
      }
      opts.push(h('vscode-option', { value: 'custom' }, 'Checkpoint path (mint:// or tinker://)…'));
      const values = opts.map((o) => o.getAttribute('value') ?? '');
      if (!values.includes(t.choice)) {
        if (t.choice.startsWith('path:')) {
          // A path the server does not list (yet): keep it, as free text.
          t.custom = t.choice.slice(5);
          t.choice = 'custom';
        } else if (t.choice.startsWith('base:')) {
          // Restored from a draft before the model list arrived, or a model the server dropped: keep it visible.
          opts.unshift(h('vscode-option', { value: t.choice, description: 'not in the server list' }, t.choice.slice(5)));
        } else if (t.choice !== 'custom') {
          t.choice = values[0] === 'custom' ? 'custom' : (values[0] ?? 'custom');
        }
      }
      select.append(...opts);
      select.value = t.choice;
      select.addEventListener('change', () => {
        t.choice = select.value;
        this.renderTargets();
        this.changed();
      });
      const row = h('div', { className: 'target-row' }, select);
      if (this.targets.length > 1) {
        const rm = h('vscode-button', { secondary: true, 'aria-label': `Remove model ${i + 1}`, 'data-action': 'remove-target' }, '×');
        rm.addEventListener('click', () => {
          this.targets.splice(i, 1);
          this.renderTargets();
          this.changed();
        });
        row.append(rm);
      }
      this.targetsEl.append(row);
      if (t.choice === 'custom') {
        const field = h('vscode-textfield', { placeholder: 'mint://<run>/sampler_weights/<name>', 'aria-label': `Checkpoint path ${i + 1}`, 'data-target-path': i }) as ValueEl;
        field.value = t.custom;
        const err = h('div', { className: 'err', 'data-error': `target-${i}` });
        const check = () => {
          const problem = t.custom ? checkpointPathProblem(t.custom) : 'Enter a checkpoint path.';
          field.invalid = Boolean(problem && t.custom);
          err.textContent = t.custom ? (problem ?? '') : '';
        };
        field.addEventListener('input', () => {
          t.custom = field.value.trim();
          check();
          this.changed();
        });
        check();
        this.targetsEl.append(field, err);
      }
    });
    const row = h('div', { className: 'target-tools' });
    if (this.targets.length < 4) {
      const add = h('vscode-button', { secondary: true, 'data-action': 'add-target' }, this.targets.length === 1 ? 'Compare with…' : 'Add model');
      add.addEventListener('click', () => {
        const next = this.models.find((m) => !this.targets.some((t) => t.choice === `base:${m.model_name}`));
        const cp = this.checkpoints.find((c) => !this.targets.some((t) => t.choice === `path:${c.path}`));
        this.targets.push({ choice: cp ? `path:${cp.path}` : next ? `base:${next.model_name}` : 'custom', custom: '' });
        this.renderTargets();
        this.changed();
      });
      row.append(add);
    }
    const refresh = h('vscode-button', { secondary: true, 'data-action': 'refresh-models' }, 'Refresh list');
    refresh.addEventListener('click', () => this.cb.refresh());
    row.append(refresh);
    this.targetsEl.append(row);
  }

  private renderPrompt(): void {
    clear(this.promptEl);
    const group = h('vscode-radio-group', { 'aria-label': 'Prompt mode' },
      h('vscode-radio', { name: 'mode', value: 'chat', checked: this.mode === 'chat', 'data-mode': 'chat' }, 'Chat'),
      h('vscode-radio', { name: 'mode', value: 'raw', checked: this.mode === 'raw', 'data-mode': 'raw' }, 'Raw text'),
    );
    group.addEventListener('change', (e) => {
      const v = (e.target as ValueEl).value;
      if ((v === 'chat' || v === 'raw') && v !== this.mode) {
        this.mode = v;
        this.renderPrompt();
        this.changed();
      }
    });
    this.promptEl.append(group);
    if (this.mode === 'raw') {
      const ta = h('vscode-textarea', { rows: 6, resize: 'vertical', placeholder: 'Text sent as is (tokenized without a chat template)', 'aria-label': 'Raw prompt', 'data-prompt': 'raw' }) as ValueEl;
      ta.value = this.rawText;
      ta.addEventListener('input', () => {
        this.rawText = ta.value;
        this.changed();
      });
      this.promptEl.append(ta);
      return;
    }
    this.messages.forEach((m, i) => {
      const role = h('vscode-single-select', { 'aria-label': `Role of message ${i + 1}`, className: 'role' },
        h('vscode-option', { value: 'system' }, 'system'),
        h('vscode-option', { value: 'user' }, 'user'),
        h('vscode-option', { value: 'assistant' }, 'assistant'),
      ) as ValueEl;
      role.value = m.role;
      role.addEventListener('change', () => {
        const v = role.value;
        if (v === 'system' || v === 'user' || v === 'assistant') m.role = v;
        this.changed();
      });
      const ta = h('vscode-textarea', { rows: m.role === 'system' ? 2 : 4, resize: 'vertical', placeholder: `${m.role} message`, 'aria-label': `Message ${i + 1}`, 'data-message': i }) as ValueEl;
      ta.value = m.content;
      ta.addEventListener('input', () => {
        m.content = ta.value;
        this.changed();
      });
      const rm = h('vscode-button', { secondary: true, 'aria-label': `Remove message ${i + 1}` }, '×');
      rm.addEventListener('click', () => {
        this.messages.splice(i, 1);
        this.renderPrompt();
        this.changed();
      });
      this.promptEl.append(h('div', { className: 'message' }, h('div', { className: 'message-head' }, role, rm), ta));
    });
    const add = h('vscode-button', { secondary: true, 'data-action': 'add-message' }, 'Add message');
    add.addEventListener('click', () => {
      const last = this.messages[this.messages.length - 1]?.role;
      this.messages.push({ role: last === 'user' ? 'assistant' : 'user', content: '' });
      this.renderPrompt();
      this.changed();
    });
    this.promptEl.append(add);
  }

  private renderParams(): void {
    clear(this.paramsEl);
    for (const f of PARAM_FIELDS) {
      const field = h('vscode-textfield', { placeholder: f.placeholder, 'aria-label': f.label, 'data-param': f.key, inputmode: 'decimal' }) as ValueEl;
      field.value = this.paramText[f.key] ?? '';
      field.addEventListener('input', () => {
        this.paramText[f.key] = field.value;
        this.changed();
      });
      this.paramsEl.append(h('label', { className: 'param' }, h('span', {}, f.label), field, h('div', { className: 'err', 'data-error': f.key }), f.hint ? h('div', { className: 'hint' }, f.hint) : null));
    }
    const stop = h('vscode-textarea', { rows: 2, placeholder: 'one per line; \\n for a newline', 'aria-label': 'Stop strings', 'data-param': 'stop' }) as ValueEl;
    stop.value = this.paramText.stop ?? '';
    stop.addEventListener('input', () => {
      this.paramText.stop = stop.value;
      this.changed();
    });
    this.paramsEl.append(h('label', { className: 'param wide' }, h('span', {}, 'Stop strings'), stop, h('div', { className: 'err', 'data-error': 'stop' })));
    const pl = h('vscode-checkbox', { 'data-param': 'prompt_logprobs', checked: this.promptLogprobs }, 'Prompt logprobs') as CheckEl;
    pl.addEventListener('change', () => {
      this.promptLogprobs = pl.checked;
      this.changed();
    });
    this.paramsEl.append(h('div', { className: 'param wide' }, pl));
  }

  private readTargets(): Target[] {
    const out: Target[] = [];
    for (const t of this.targets) {
      if (t.choice.startsWith('base:')) out.push({ base_model: t.choice.slice(5) });
      else if (t.choice.startsWith('path:')) out.push({ model_path: t.choice.slice(5) });
      else if (t.custom) out.push({ model_path: t.custom });
    }
    return out;
  }

  private readPrompt(): Prompt | undefined {
    if (this.mode === 'raw') return this.rawText ? { mode: 'raw', text: this.rawText } : undefined;
    const messages = this.messages.filter((m) => m.content.trim() !== '' || m.role === 'assistant');
    return messages.some((m) => m.content.trim()) ? { mode: 'chat', messages } : undefined;
  }

  /** Text fields to numbers; "" is "not set"; garbage stays as NaN so the schema reports it. */
  private readParams(): Record<string, unknown> {
    const num = (k: string): number | undefined => {
      const s = (this.paramText[k] ?? '').trim();
      return s === '' ? undefined : Number(s);
    };
    const stops = (this.paramText.stop ?? '')
      .split('\n')
      .filter((s) => s !== '')
      .map((s) => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    const p: Record<string, unknown> = {
      max_tokens: num('max_tokens'),
      temperature: num('temperature'),
      top_p: num('top_p'),
      top_k: num('top_k'),
      seed: num('seed'),
      num_samples: num('num_samples') ?? 1,
      prompt_logprobs: this.promptLogprobs || (num('topk_prompt_logprobs') ?? 0) > 0,
      topk_prompt_logprobs: num('topk_prompt_logprobs') ?? 0,
    };
    if (stops.length) p.stop = stops;
    for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
    return p;
  }

  private request(): { targets: Target[]; prompt: Prompt; params: Params } | undefined {
    const targets = this.readTargets();
    const prompt = this.readPrompt();
    const params = ParamsSchema.safeParse(this.readParams());
    if (!targets.length || !prompt || !params.success) return undefined;
    if (targets.some((t) => 'model_path' in t && checkpointPathProblem(t.model_path))) return undefined;
    return { targets, prompt, params: params.data };
  }

  private validate(): void {
    const problems = paramProblems(this.readParams());
    for (const el of Array.from(this.paramsEl.querySelectorAll<HTMLElement>('[data-error]'))) {
      const key = el.dataset.error!;
      el.textContent = problems[key] ?? '';
      const field = this.paramsEl.querySelector<ValueEl>(`[data-param="${key}"]`);
      if (field && 'invalid' in field) field.invalid = Boolean(problems[key]);
    }
    let blocker: string | undefined;
    const targets = this.readTargets();
    if (!targets.length) blocker = 'Choose a model or enter a checkpoint path.';
    else if (!this.readPrompt()) blocker = this.mode === 'chat' ? 'Write a message to sample from.' : 'Type a prompt first.';
    else if (Object.keys(problems).length) blocker = 'Fix the parameters marked above.';
    const maxTokens = Number(this.paramText.max_tokens);
    clear(this.contextEl);
    const c = this.context;
    if (c && c.count !== undefined) {
      const total = c.count + (Number.isFinite(maxTokens) ? maxTokens : 0);
      const over = c.max !== undefined && total > c.max;
      this.contextEl.append(
        h('span', { className: over ? 'err' : 'muted', 'data-context': over ? 'over' : 'ok' },
          `Prompt ${c.count.toLocaleString('en-US')} tokens + max ${Number.isFinite(maxTokens) ? maxTokens : '?'} = ${total.toLocaleString('en-US')}` +
            (c.max !== undefined ? ` of ${c.max.toLocaleString('en-US')} context (${c.target})` : ''),
        ),
      );
      if (over) blocker ??= `Prompt plus max tokens exceeds ${c.target}'s context of ${c.max}: shorten the prompt or lower Max tokens.`;
    }
    if (c?.note) this.contextEl.append(h('div', { className: 'muted' }, c.note));
    if (blocker) this.contextEl.append(h('div', { className: 'blocker', 'data-blocker': '' }, blocker));
    this.sampleBtn.textContent = targets.length > 1 ? `Compare ${targets.length}` : 'Sample';
    this.sampleBtn.disabled = Boolean(blocker) || this.pending;
  }

  private changed(): void {
    this.validate();
    const prompt = { mode: this.mode, messages: this.messages.map((m) => ({ ...m })), text: this.rawText };
    const parsed = ParamsSchema.partial().safeParse(this.readParams());
    this.cb.changed({ targets: this.readTargets().slice(0, 4), prompt, params: parsed.success ? parsed.data : {}, paramText: { ...this.paramText, prompt_logprobs: String(this.promptLogprobs) } });
  }

  private trySubmit(): void {
    const req = this.request();
    if (!req || this.pending) return;
    this.cb.submit(req.targets, req.prompt, req.params);
  }
}

function escapeStop(s: string): string {
  return s.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
