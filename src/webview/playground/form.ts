/**
 * The request form: targets (1-4 models or checkpoints), prompt (chat or raw), parameters, one
 * section each. Validation runs on every edit with the shared zod schemas, so the Sample button is
 * only live when the host would accept the message; the host checks again anyway.
 */
import {
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
import { clear, h, type ValueEl } from './dom';
import { ParamsSection } from './paramsSection';
import { PromptSection } from './promptSection';
import { TargetsSection } from './targetsSection';

export interface FormCallbacks {
  changed(draft: Draft): void;
  submit(targets: Target[], prompt: Prompt, params: Params): void;
  cancel(): void;
  viewAsCode(targets: Target[], prompt: Prompt, params: Params): void;
  refresh(): void;
  /** Score a completion under the form's targets: per-token logprobs, nothing generated. */
  score(targets: Target[], prompt: Prompt, params: Params, completion: string): void;
}

export interface ContextInfo {
  target: string;
  count?: number | undefined;
  max?: number | undefined;
  note?: string | undefined;
}

export class PlaygroundForm {
  readonly el: HTMLElement;
  private pending = false;
  private context: ContextInfo | undefined;

  private readonly targets: TargetsSection;
  private readonly prompt: PromptSection;
  private readonly params: ParamsSection;
  private readonly contextEl = h('div', { className: 'context', 'aria-live': 'polite' });
  private readonly sampleBtn = h('vscode-button', { 'data-action': 'sample' }, 'Sample') as ValueEl;
  private readonly cancelBtn = h('vscode-button', { secondary: true, 'data-action': 'cancel', hidden: true }, 'Cancel') as ValueEl;
  private readonly scoreText = h('textarea', {
    rows: 4,
    'data-score-completion': '',
    placeholder: "Paste a completion (e.g. a dataset's assistant turn), or use Score on a sample",
    'aria-label': 'Completion to score',
  }) as HTMLTextAreaElement;
  private readonly scoreBtn = h('vscode-button', { secondary: true, 'data-action': 'score' }, 'Score') as ValueEl;
  private readonly scoreBox = h('details', { className: 'score-box' });
  /** A chat that ends in an assistant turn (a dataset row pasted in): score that turn after the messages before it. */
  private readonly scoreTurnBtn = h(
    'vscode-button',
    { secondary: true, 'data-action': 'score-assistant', title: 'Score the last assistant message after the messages before it' },
    'Score the assistant turn',
  ) as ValueEl;

  constructor(private readonly cb: FormCallbacks) {
    const changed = { changed: () => this.changed() };
    this.targets = new TargetsSection({ ...changed, refresh: () => this.cb.refresh() });
    this.prompt = new PromptSection(changed);
    this.params = new ParamsSection(changed);
    this.sampleBtn.addEventListener('click', () => this.trySubmit());
    this.cancelBtn.addEventListener('click', () => this.cb.cancel());
    const codeBtn = h('vscode-button', { secondary: true, 'data-action': 'code' }, 'View as code');
    codeBtn.addEventListener('click', () => {
      const req = this.request();
      if (req) this.cb.viewAsCode(req.targets, req.prompt, req.params);
    });
    this.scoreBtn.addEventListener('click', () => this.trySubmitScore());
    this.scoreTurnBtn.addEventListener('click', () => this.trySubmitScoreTurn());
    this.scoreText.addEventListener('input', () => this.validate());
    this.scoreBox.append(
      h('summary', {}, 'Score a completion'),
      h(
        'div',
        { className: 'hint' },
        'Its per-token logprobs under each model above, with total and mean, and where the models disagree most.',
      ),
      this.scoreText,
      h('div', { className: 'score-actions' }, this.scoreBtn, this.scoreTurnBtn),
    );
    this.el = h(
      'section',
      { className: 'form', 'aria-label': 'Request' },
      h('h2', {}, 'Model'),
      this.targets.el,
      h('h2', {}, 'Prompt'),
      this.prompt.el,
      h('details', { className: 'params-box' }, h('summary', {}, 'Parameters'), this.params.el),
      // The context line and its hints sit below the buttons: they come and go as you type, and must not move Sample.
      h('div', { className: 'actions' }, this.sampleBtn, this.cancelBtn, codeBtn),
      this.contextEl,
      this.scoreBox,
    );
    // Ctrl/Cmd+Enter samples from anywhere in the form, as in other playgrounds; plain Enter stays a newline.
    this.el.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
      e.preventDefault();
      this.trySubmit();
    });
    this.renderAll();
  }

  setCatalog(models: ModelInfo[], checkpoints: CheckpointInfo[]): void {
    this.targets.setCatalog(models, checkpoints);
    this.validate();
  }

  setDraft(d: Draft): void {
    this.targets.setDraft(d.targets);
    this.prompt.setDraft(d.prompt);
    this.params.setDraft(d);
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

  /** A sample's text as the completion to score; the Score box opens with it. */
  setScoreText(text: string): void {
    this.scoreText.value = text;
    this.scoreBox.open = true;
    this.validate();
    this.scoreBox.scrollIntoView({ block: 'nearest' });
  }

  /** The first target as text, for the token-count request. */
  firstTarget(): Target | undefined {
    return this.targets.read()[0];
  }

  currentPrompt(): Prompt | undefined {
    return this.prompt.read();
  }

  private renderAll(): void {
    this.targets.render();
    this.prompt.render();
    this.params.render();
    this.validate();
  }

  /** What Sample would send now, or undefined while the form cannot be sent (View as code follows it). */
  currentRequest(): { targets: Target[]; prompt: Prompt; params: Params } | undefined {
    return this.request();
  }

  private request(): { targets: Target[]; prompt: Prompt; params: Params } | undefined {
    const targets = this.targets.read();
    const prompt = this.prompt.read();
    const params = ParamsSchema.safeParse(this.params.read());
    if (!targets.length || !prompt || !params.success) return undefined;
    if (targets.some((t) => 'model_path' in t && checkpointPathProblem(t.model_path))) return undefined;
    return { targets, prompt, params: params.data };
  }

  private validate(): void {
    const problems = paramProblems(this.params.read());
    const maxTokens = this.params.maxTokens;
    const c = this.context;
    // The bound that matters is the model's context, not the schema's absolute ceiling.
    if (c?.max !== undefined && Number.isFinite(maxTokens) && maxTokens > c.max)
      problems.max_tokens = `Max tokens is at most ${c.max.toLocaleString('en-US')}, the context of ${c.target}.`;
    this.params.showProblems(problems);
    let blocker: string | undefined;
    const targets = this.targets.read();
    const prompt = this.prompt.read();
    if (!targets.length) blocker = 'Choose a model or enter a checkpoint path.';
    else if (!prompt) blocker = this.prompt.mode === 'chat' ? 'Write a message to sample from.' : 'Type a prompt first.';
    else if (Object.keys(problems).length) blocker = 'Fix the parameters marked above.';
    clear(this.contextEl);
    // A count is of the prompt it was made for: with no prompt now (e.g. just switched Chat to Raw) it is stale.
    if (c && c.count !== undefined && prompt) {
      const total = c.count + (Number.isFinite(maxTokens) ? maxTokens : 0);
      const over = c.max !== undefined && total > c.max;
      this.contextEl.append(
        h(
          'span',
          { className: over ? 'err' : 'muted', 'data-context': over ? 'over' : 'ok' },
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
    this.scoreBtn.disabled = Boolean(blocker) || this.pending || !this.scoreText.value;
    this.scoreTurnBtn.disabled = Boolean(blocker) || this.pending || !this.assistantTurn();
  }

  /** The chat's last message when it is a non-empty assistant turn that follows another message. */
  private assistantTurn(): { prompt: Prompt; completion: string } | undefined {
    const p = this.prompt.read();
    if (p?.mode !== 'chat') return undefined;
    const last = p.messages[p.messages.length - 1];
    const before = p.messages.slice(0, -1);
    if (last?.role !== 'assistant' || !last.content || !before.some((m) => m.content.trim())) return undefined;
    return { prompt: { ...p, messages: before }, completion: last.content };
  }

  private trySubmitScoreTurn(): void {
    const req = this.request();
    const turn = this.assistantTurn();
    if (!req || !turn || this.pending) return;
    this.cb.score(req.targets, turn.prompt, req.params, turn.completion);
  }

  private trySubmitScore(): void {
    const req = this.request();
    if (!req || this.pending || !this.scoreText.value) return;
    this.cb.score(req.targets, req.prompt, req.params, this.scoreText.value);
  }

  private changed(): void {
    this.validate();
    const parsed = ParamsSchema.partial().safeParse(this.params.read());
    this.cb.changed({
      targets: this.targets.read().slice(0, 4),
      prompt: this.prompt.draft(),
      params: parsed.success ? parsed.data : {},
      paramText: this.params.draftText(),
    });
  }

  private trySubmit(): void {
    const req = this.request();
    if (!req || this.pending) return;
    this.cb.submit(req.targets, req.prompt, req.params);
  }
}
