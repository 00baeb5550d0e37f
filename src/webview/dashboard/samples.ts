/**
 * Samples inside a run, per step: the eval samples of eval/periodic.jsonl (prediction against
 * expected, ✓/✗) and the rollouts of train/rollouts.jsonl or rollout summaries (text and reward),
 * with a reward histogram drawn on a small canvas. The host sends one step at a time and the list
 * of steps; what arrived is kept per run and kind, so going back to a step asks nothing again.
 */
import type { RunInfo, SampleItem, SampleKind, SampleStep } from '../../shared/dashboard';
import { fmtNum, h, themeVar } from './dom';
import { histogram, type Bins } from './series';

export interface SamplesHost {
  runs(): RunInfo[];
  /** Run ids shown in the charts, the first one is the default here. */
  selected(): string[];
  request(runId: string, kind: SampleKind, step?: number): void;
}

interface Cached {
  steps: Map<number, SampleStep>;
  available: number[];
}

const HIST_W = 360;
const HIST_H = 110;

export class SamplesPanel {
  readonly el: HTMLElement;
  private readonly runSel = h('select', { 'aria-label': 'Run', 'data-samples-run': '' });
  private readonly stepSel = h('select', { 'aria-label': 'Step', 'data-samples-step': '' });
  private readonly kindButtons: Record<SampleKind, HTMLButtonElement>;
  private readonly body = h('div', { className: 'samples-body' });
  private readonly cache = new Map<string, Cached>();
  private runId: string | undefined;
  private kind: SampleKind = 'eval';
  private step: number | undefined;
  private asked = new Set<string>();

  constructor(private readonly host: SamplesHost) {
    const kindButton = (kind: SampleKind, label: string) => {
      const b = h('button', { className: 'seg', 'data-samples-kind': kind, 'aria-pressed': 'false' }, label);
      b.addEventListener('click', () => {
        this.kind = kind;
        this.step = undefined;
        this.refresh(true);
      });
      return b;
    };
    this.kindButtons = { eval: kindButton('eval', 'Eval samples'), rollouts: kindButton('rollouts', 'Rollouts') };
    this.runSel.addEventListener('change', () => {
      this.runId = this.runSel.value;
      this.step = undefined;
      this.refresh(true);
    });
    this.stepSel.addEventListener('change', () => {
      this.step = Number(this.stepSel.value);
      this.refresh(true);
    });
    this.el = h(
      'section',
      { className: 'samples', 'aria-label': 'Samples' },
      h(
        'div',
        { className: 'toolbar' },
        h('label', {}, 'Run ', this.runSel),
        h('span', { className: 'segs', role: 'group', 'aria-label': 'Kind' }, this.kindButtons.eval, this.kindButtons.rollouts),
        h('label', {}, 'Step ', this.stepSel),
      ),
      this.body,
    );
    this.refresh(false);
  }

  private id(runId: string, kind: SampleKind): string {
    return `${runId}\u0000${kind}`;
  }

  /**
   * The run list or the selection changed: keep the run shown while it is still selected, else
   * take the first selected one (the dashboard was opened on another run: show that one's samples).
   */
  runsChanged(): void {
    const runs = this.host.runs();
    const selected = this.host.selected();
    if (!this.runId || !runs.some((r) => r.id === this.runId) || (selected.length > 0 && !selected.includes(this.runId))) {
      this.runId = this.host.selected()[0] ?? runs[0]?.id;
      this.step = undefined;
    }
    this.runSel.replaceChildren(...runs.map((r) => h('option', { value: r.id, selected: r.id === this.runId }, r.name)));
    this.refresh(false);
  }

  /** The panel was opened: ask for what it shows unless it has it. */
  shown(): void {
    this.asked.clear();
    this.refresh(true);
  }

  receive(msg: { runId: string; kind: SampleKind; steps: SampleStep[]; availableSteps?: number[] | undefined }): void {
    const id = this.id(msg.runId, msg.kind);
    let c = this.cache.get(id);
    if (!c) this.cache.set(id, (c = { steps: new Map(), available: [] }));
    for (const s of msg.steps) c.steps.set(s.step, s);
    const avail = new Set([...(msg.availableSteps ?? c.available), ...c.steps.keys()]);
    c.available = [...avail].sort((a, b) => a - b);
    if (msg.runId === this.runId && msg.kind === this.kind) {
      if (this.step === undefined || !c.steps.has(this.step)) {
        const got = msg.steps.map((s) => s.step);
        if (got.length) this.step = this.step !== undefined && got.includes(this.step) ? this.step : Math.max(...got);
      }
      this.refresh(false);
    }
  }

  private refresh(ask: boolean): void {
    for (const [k, b] of Object.entries(this.kindButtons)) b.setAttribute('aria-pressed', String(k === this.kind));
    const runs = this.host.runs();
    if (!this.runId || runs.length === 0) {
      this.stepSel.replaceChildren();
      this.body.replaceChildren(h('p', { className: 'empty' }, 'No run to show samples of.'));
      return;
    }
    const c = this.cache.get(this.id(this.runId, this.kind));
    if (this.step === undefined && c && c.steps.size > 0) this.step = Math.max(...c.steps.keys());
    this.stepSel.replaceChildren(
      ...(c?.available ?? []).map((s) => h('option', { value: String(s), selected: s === this.step }, `step ${fmtNum(s)}`)),
    );
    this.stepSel.disabled = !c || c.available.length === 0;
    const key = `${this.id(this.runId, this.kind)}\u0000${this.step ?? ''}`;
    const step = this.step === undefined ? undefined : c?.steps.get(this.step);
    if (!step) {
      if (ask && !this.asked.has(key)) {
        this.asked.add(key);
        this.host.request(this.runId, this.kind, this.step);
      }
      const what = this.kind === 'eval' ? 'eval samples (eval/periodic.jsonl)' : 'rollouts (train/rollouts.jsonl or rollout summaries)';
      this.body.replaceChildren(
        h(
          'p',
          { className: 'empty' },
          c && c.available.length === 0 && c.steps.size === 0 ? `This run has no ${what}.` : `Loading ${what}…`,
        ),
      );
      return;
    }
    this.body.replaceChildren(...(this.kind === 'eval' ? this.evalView(step) : this.rolloutView(step)));
  }

  private evalView(step: SampleStep): Node[] {
    const judged = step.items.filter((i) => i.correct !== undefined);
    const right = judged.filter((i) => i.correct).length;
    const summary =
      judged.length > 0
        ? `Step ${fmtNum(step.step)}: ${right} of ${judged.length} correct (${Math.round((100 * right) / judged.length)}%)`
        : `Step ${fmtNum(step.step)}: ${step.items.length} sample${step.items.length === 1 ? '' : 's'}`;
    const rows = step.items.map((it, i) =>
      h(
        'tr',
        { className: `sample-row${it.correct === false ? ' wrong' : ''}` },
        h('td', { className: 'id' }, it.id ?? String(i + 1)),
        h(
          'td',
          { className: 'mark', 'aria-label': it.correct === undefined ? 'not judged' : it.correct ? 'correct' : 'incorrect' },
          mark(it),
        ),
        h('td', {}, textBlock(it.prediction ?? it.text)),
        h('td', {}, textBlock(it.expected)),
      ),
    );
    return [
      h('p', { className: 'summary', 'data-samples-summary': '' }, summary),
      step.items.length === 0
        ? h('p', { className: 'empty' }, 'No samples at this step.')
        : h(
            'table',
            { className: 'sample-table' },
            h('thead', {}, h('tr', {}, h('th', {}, 'id'), h('th', {}, ''), h('th', {}, 'prediction'), h('th', {}, 'expected'))),
            h('tbody', {}, ...rows),
          ),
    ];
  }

  private rolloutView(step: SampleStep): Node[] {
    const rewards = step.rewards ?? step.items.map((i) => i.reward).filter((r): r is number => r !== undefined);
    const bins = histogram(rewards);
    const summary =
      bins.total > 0
        ? `Step ${fmtNum(step.step)}: ${bins.total} reward${bins.total === 1 ? '' : 's'}, mean ${fmtNum(bins.mean)}, min ${fmtNum(bins.min)}, max ${fmtNum(bins.max)}`
        : `Step ${fmtNum(step.step)}: no rewards`;
    const items = step.items.map((it, i) =>
      h(
        'div',
        { className: `rollout sample-row${it.correct === false ? ' wrong' : ''}` },
        h(
          'div',
          { className: 'rollout-head' },
          h('b', {}, it.id ?? `#${i + 1}`),
          it.reward !== undefined ? h('span', { className: 'reward' }, `reward ${fmtNum(it.reward)}`) : null,
          it.correct !== undefined ? h('span', { className: 'mark' }, mark(it)) : null,
          it.expected !== undefined ? h('span', { className: 'muted' }, `expected ${it.expected}`) : null,
        ),
        it.prompt !== undefined ? h('div', { className: 'prompt' }, textBlock(it.prompt)) : null,
        textBlock(it.text ?? it.prediction),
      ),
    );
    return [
      h('p', { className: 'summary', 'data-samples-summary': '' }, summary),
      bins.total > 0 ? histogramCanvas(bins) : null,
      ...items,
    ].filter((x): x is HTMLElement => x !== null);
  }
}

function mark(it: SampleItem): string {
  return it.correct === undefined ? '' : it.correct ? '✓' : '✗';
}

function textBlock(s: string | undefined): HTMLElement {
  return s === undefined ? h('span', { className: 'muted' }, '—') : h('div', { className: 'text' }, s);
}

/** Bars of a reward histogram, with the edges and the tallest count as labels. */
function histogramCanvas(bins: Bins): HTMLElement {
  const canvas = h('canvas', { className: 'hist', 'data-hist': '', role: 'img' });
  const ratio = window.devicePixelRatio || 1;
  canvas.width = HIST_W * ratio;
  canvas.height = HIST_H * ratio;
  canvas.style.width = `${HIST_W}px`;
  canvas.style.height = `${HIST_H}px`;
  const max = Math.max(...bins.counts);
  canvas.setAttribute(
    'aria-label',
    `Reward histogram: ${bins.counts.map((c, i) => `${fmtNum(bins.edges[i])} to ${fmtNum(bins.edges[i + 1])}: ${c}`).join('; ')}`,
  );
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  ctx.scale(ratio, ratio);
  const fg = themeVar('--vscode-foreground', '#cccccc');
  const bar = themeVar('--vscode-charts-blue', '#56B4E9');
  const pad = { l: 6, r: 6, t: 14, b: 16 };
  const w = HIST_W - pad.l - pad.r;
  const hh = HIST_H - pad.t - pad.b;
  const bw = w / bins.counts.length;
  ctx.fillStyle = bar;
  bins.counts.forEach((c, i) => {
    const bh = max > 0 ? (c / max) * hh : 0;
    ctx.fillRect(pad.l + i * bw + 1, pad.t + hh - bh, Math.max(1, bw - 2), bh);
  });
  ctx.fillStyle = fg;
  ctx.globalAlpha = 0.5;
  ctx.fillRect(pad.l, pad.t + hh, w, 1);
  ctx.globalAlpha = 1;
  ctx.font = `10px ${themeVar('--vscode-font-family', 'sans-serif')}`;
  ctx.textBaseline = 'alphabetic';
  ctx.textAlign = 'left';
  ctx.fillText(fmtNum(bins.min), pad.l, HIST_H - 3);
  ctx.textAlign = 'right';
  ctx.fillText(fmtNum(bins.max), HIST_W - pad.r, HIST_H - 3);
  ctx.fillText(`max count ${max}`, HIST_W - pad.r, 10);
  return canvas;
}
