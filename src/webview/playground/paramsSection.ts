/**
 * The form's Parameters section. Fields keep the text as typed (a half-typed "0." survives a
 * reload); numbers are read from it only when the form is checked or sent.
 */
import { DEFAULT_PARAMS, type Draft, type Params } from '../../shared/playground';
import { clear, h, type CheckEl, type ValueEl } from './dom';

const PARAM_FIELDS: Array<{ key: keyof Params; label: string; placeholder: string; hint: string }> = [
  { key: 'max_tokens', label: 'Max tokens', placeholder: 'required', hint: 'Tokens to generate per sample.' },
  { key: 'temperature', label: 'Temperature', placeholder: '1', hint: '0 is greedy.' },
  { key: 'top_p', label: 'Top-p', placeholder: '1', hint: '' },
  { key: 'top_k', label: 'Top-k', placeholder: '-1', hint: '-1 means no limit.' },
  { key: 'seed', label: 'Seed', placeholder: 'random', hint: '' },
  { key: 'num_samples', label: 'Samples', placeholder: '1', hint: '' },
  { key: 'topk_prompt_logprobs', label: 'Top-k prompt logprobs', placeholder: '0', hint: 'Alternatives per prompt token.' },
  {
    key: 'topk_sample_logprobs',
    label: 'Top-k generated',
    placeholder: '0',
    hint: "Alternatives per generated token: the server's own, else one scoring request per sample. 0: on demand.",
  },
];

export class ParamsSection {
  readonly el = h('div', { className: 'params' });
  private paramText: Record<string, string> = {};
  private promptLogprobs = DEFAULT_PARAMS.prompt_logprobs;

  constructor(private readonly cb: { changed(): void }) {
    for (const [k, v] of Object.entries(DEFAULT_PARAMS)) if (typeof v === 'number') this.paramText[k] = String(v);
  }

  setDraft(d: Draft): void {
    this.paramText = { ...(d.paramText ?? {}) };
    for (const [k, v] of Object.entries(d.params))
      if (typeof v === 'number' && this.paramText[k] === undefined) this.paramText[k] = String(v);
    if (d.params.stop && this.paramText.stop === undefined) this.paramText.stop = d.params.stop.map(escapeStop).join('\n');
    this.promptLogprobs = d.params.prompt_logprobs ?? d.paramText?.prompt_logprobs === 'true';
  }

  /** Max tokens as a number, NaN while the field does not hold one; the context line adds it up. */
  get maxTokens(): number {
    return Number(this.paramText.max_tokens);
  }

  /** The fields as typed, for the draft the host keeps. */
  draftText(): Record<string, string> {
    return { ...this.paramText, prompt_logprobs: String(this.promptLogprobs) };
  }

  /** Text fields to numbers; "" is "not set"; garbage stays as NaN so the schema reports it. */
  read(): Record<string, unknown> {
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
      topk_sample_logprobs: num('topk_sample_logprobs'),
    };
    if (stops.length) p.stop = stops;
    for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
    return p;
  }

  /** Each field's first problem under it, in the words of the shared schema. */
  showProblems(problems: Record<string, string>): void {
    for (const el of Array.from(this.el.querySelectorAll<HTMLElement>('[data-error]'))) {
      const key = el.dataset.error!;
      el.textContent = problems[key] ?? '';
      const field = this.el.querySelector<ValueEl>(`[data-param="${key}"]`);
      if (field && 'invalid' in field) field.invalid = Boolean(problems[key]);
    }
  }

  render(): void {
    clear(this.el);
    for (const f of PARAM_FIELDS) {
      const field = h('vscode-textfield', {
        placeholder: f.placeholder,
        'aria-label': f.label,
        'data-param': f.key,
        inputmode: 'decimal',
      }) as ValueEl;
      field.value = this.paramText[f.key] ?? '';
      field.addEventListener('input', () => {
        this.paramText[f.key] = field.value;
        this.cb.changed();
      });
      this.el.append(
        h(
          'label',
          { className: 'param' },
          h('span', {}, f.label),
          field,
          h('div', { className: 'err', 'data-error': f.key }),
          f.hint ? h('div', { className: 'hint' }, f.hint) : null,
        ),
      );
    }
    const stop = h('vscode-textarea', {
      rows: 2,
      placeholder: 'one per line; \\n for a newline',
      'aria-label': 'Stop strings',
      'data-param': 'stop',
    }) as ValueEl;
    stop.value = this.paramText.stop ?? '';
    stop.addEventListener('input', () => {
      this.paramText.stop = stop.value;
      this.cb.changed();
    });
    this.el.append(
      h('label', { className: 'param wide' }, h('span', {}, 'Stop strings'), stop, h('div', { className: 'err', 'data-error': 'stop' })),
    );
    const pl = h('vscode-checkbox', { 'data-param': 'prompt_logprobs', checked: this.promptLogprobs }, 'Prompt logprobs') as CheckEl;
    pl.addEventListener('change', () => {
      this.promptLogprobs = pl.checked;
      this.cb.changed();
    });
    this.el.append(h('div', { className: 'param wide' }, pl));
  }
}

function escapeStop(s: string): string {
  return s.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
