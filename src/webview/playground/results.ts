/**
 * Runs and their outcomes: one column per model, one card per sample. A run is re-rendered
 * whole when the host sends it; queue updates touch only the pending line of one column.
 */
import {
  promptTitle,
  shortTargetLabel,
  targetLabel,
  type ErrorInfo,
  type Outcome,
  type QueueInfo,
  type Run,
  type Sample,
} from '../../shared/playground';
import { clear, escapeHtml, fmtMs, fmtTime, h } from './dom';
import { branchSection, disagreement, scoreLine } from './instrumentViews';
import { OTHER_KEY, distributionChart, groupAnswers, type ExtractRule } from './outcomes';
import { logprobLegend, setHeatScale, tokenView, type HeatScale, type TokenRef } from './tokens';

export interface ResultCallbacks {
  copy(text: string, what: 'request_id' | 'text'): void;
  cancel(runId: string): void;
  rerun(runId: string): void;
  /** One scoring request: the top-k alternatives of a sample's generated tokens. */
  alternatives(ref: TokenRef): void;
  /** Put this text in the Score box (a sample as the completion to score under every target). */
  scoreText(text: string): void;
  /** The heat scale changed (the page keeps it). */
  heatScale?(s: HeatScale): void;
}

const MAX_RUNS_SHOWN = 8;
/** Above this many samples per column, cards are compact (one line of text); a click opens one in full. */
const COMPACT_ABOVE = 4;

export class ResultsView {
  readonly el = h('section', { className: 'results', 'aria-label': 'Results' });
  private readonly runs = new Map<string, { run: Run; el: HTMLElement }>();
  /** Ticks the "retry in Ns" lines while any is on screen; the deadline is this page's own clock. */
  private countdown: ReturnType<typeof setInterval> | undefined;
  /** Per run, how its answers are grouped in the distribution (this page's choice). */
  private readonly rules = new Map<string, ExtractRule>();
  /** Per run and column, the samples a clicked bar picked, and that group's key. */
  private readonly focus = new Map<string, { samples: Set<number>; key: string }>();

  constructor(private readonly cb: ResultCallbacks) {}

  /** The heat scale changed: every run is drawn again with it. */
  setScale(s: HeatScale): void {
    setHeatScale(s);
    for (const { run } of [...this.runs.values()].reverse()) this.showRun(run);
  }

  /** Add or replace a run, newest first. */
  showRun(run: Run): void {
    const old = this.runs.get(run.id);
    const el = this.renderRun(run);
    if (old) old.el.replaceWith(el);
    else this.el.prepend(el);
    this.runs.set(run.id, { run, el });
    // Older runs stay in History; the results area keeps only the recent ones so it stays light.
    while (this.runs.size > MAX_RUNS_SHOWN) {
      const [id, oldest] = this.runs.entries().next().value as [string, { el: HTMLElement }];
      oldest.el.remove();
      this.runs.delete(id);
    }
  }

  setOutcome(runId: string, index: number, outcome: Outcome): void {
    const entry = this.runs.get(runId);
    if (!entry) return;
    entry.run.outcomes[index] = outcome;
    const col = entry.el.querySelector<HTMLElement>(`.columns > [data-col="${index}"]`);
    const fresh = this.renderOutcome(entry.run, index);
    if (col) col.replaceWith(fresh);
    this.updateRunHeader(entry.run, entry.el);
    this.updateLegend(entry.run, entry.el);
    this.updateInstrument(entry.run, entry.el);
  }

  setQueue(runId: string, index: number, q: QueueInfo): void {
    const entry = this.runs.get(runId);
    const o = entry?.run.outcomes[index];
    if (!entry || !o || o.status !== 'pending') return;
    o.queue = q;
    const line = entry.el.querySelector<HTMLElement>(`[data-col="${index}"] .queue`);
    if (line) this.fillQueueLine(line, q);
  }

  /** A queue line; a retry wait counts down from what the client said, by this page's clock. */
  private fillQueueLine(line: HTMLElement, q: QueueInfo): void {
    if (q.retry_in_ms === undefined) {
      delete line.dataset.retryUntil;
      line.textContent = queueText(q);
      return;
    }
    line.dataset.retryUntil = String(Date.now() + q.retry_in_ms);
    line.dataset.retryReason = q.retry_reason ?? 'waiting';
    line.textContent = retryText(line.dataset.retryReason, Math.ceil(q.retry_in_ms / 1000));
    this.countdown ??= setInterval(() => this.tick(), 1000);
  }

  private tick(): void {
    const lines = this.el.querySelectorAll<HTMLElement>('.queue[data-retry-until]');
    for (const line of lines) {
      const left = Math.ceil((Number(line.dataset.retryUntil) - Date.now()) / 1000);
      line.textContent = retryText(line.dataset.retryReason ?? 'waiting', left);
    }
    if (lines.length === 0 && this.countdown) {
      clearInterval(this.countdown);
      this.countdown = undefined;
    }
  }

  isPending(): boolean {
    for (const { run } of this.runs.values()) if (run.outcomes.some((o) => o.status === 'pending')) return true;
    return false;
  }

  pendingRunIds(): string[] {
    return [...this.runs.values()].filter(({ run }) => run.outcomes.some((o) => o.status === 'pending')).map(({ run }) => run.id);
  }

  clearAll(): void {
    this.runs.clear();
    clear(this.el);
  }

  private renderRun(run: Run): HTMLElement {
    const cols = h('div', { className: `columns n${run.outcomes.length}` });
    run.outcomes.forEach((_, i) => cols.append(this.renderOutcome(run, i)));
    const el = h('article', { className: 'run', 'data-run': run.id }, h('header', { className: 'run-head' }), cols);
    if (run.completion !== undefined) el.dataset.kind = 'score';
    this.updateRunHeader(run, el);
    this.updateLegend(run, el);
    this.updateInstrument(run, el);
    return el;
  }

  /** The run-wide views: the outcome distribution of a fan-out, or the disagreement table of a score. */
  private updateInstrument(run: Run, el: HTMLElement): void {
    el.querySelector(':scope > .distribution')?.remove();
    el.querySelector(':scope > .disagreement, :scope > [data-disagree]')?.remove();
    const cols = el.querySelector(':scope > .columns')!;
    if (run.completion !== undefined) {
      const d = disagreement(run);
      if (d) cols.after(d);
      return;
    }
    const chart = distributionChart(run, this.rules.get(run.id) ?? { kind: 'exact' }, {
      ruleChanged: (rule) => {
        this.rules.set(run.id, rule);
        for (const k of [...this.focus.keys()]) if (k.startsWith(`${run.id}:`)) this.focus.delete(k);
        this.showRun(run);
      },
      focus: (c, samples, key) => {
        const k = `${run.id}:${c}`;
        if (samples && key !== undefined) this.focus.set(k, { samples: new Set(samples), key });
        else this.focus.delete(k);
        const col = el.querySelector<HTMLElement>(`.columns > [data-col="${c}"]`);
        if (col) col.replaceWith(this.renderOutcome(run, c));
        el.querySelector<HTMLElement>(`.columns > [data-col="${c}"] .focus-line`)?.scrollIntoView({ block: 'nearest' });
      },
    });
    if (chart) cols.before(chart);
  }

  /** A run with coloured tokens carries the key to the colours, under its header; a text-only run does not. */
  private updateLegend(run: Run, el: HTMLElement): void {
    const coloured = run.outcomes.some((o) => o.prompt?.logprobs || o.samples?.some((s) => s.tokens?.logprobs));
    const legend = el.querySelector(':scope > .lp-legend');
    if (coloured && !legend)
      el.querySelector('.run-head')!.after(logprobLegend((s) => (this.cb.heatScale ? this.cb.heatScale(s) : this.setScale(s))));
    else if (!coloured) legend?.remove();
  }

  private updateRunHeader(run: Run, el: HTMLElement): void {
    const head = el.querySelector('.run-head')!;
    clear(head);
    const pending = run.outcomes.some((o) => o.status === 'pending');
    const title = promptTitle(run);
    head.append(
      h('span', { className: 'muted' }, fmtTime(run.time)),
      h('span', { className: 'title', title }, title.length > 80 ? `${title.slice(0, 80)}…` : title),
    );
    if (pending) {
      const c = h('vscode-button', { secondary: true, 'data-action': 'cancel-run' }, 'Cancel');
      c.addEventListener('click', () => this.cb.cancel(run.id));
      head.append(c);
    } else {
      const r = h('vscode-button', { secondary: true, 'data-action': 'rerun' }, 'Run again');
      r.addEventListener('click', () => this.cb.rerun(run.id));
      head.append(r);
    }
  }

  private renderOutcome(run: Run, i: number): HTMLElement {
    const o = run.outcomes[i]!;
    const col = h('div', { className: `column ${o.status}`, 'data-col': i, 'data-status': o.status });
    const head = h(
      'div',
      { className: 'col-head' },
      h('span', { className: 'target', title: targetLabel(o.target) }, shortTargetLabel(o.target)),
    );
    if (o.via === 'openai') head.append(h('span', { className: 'badge' }, 'text mode'));
    col.append(head);
    if (o.request_id || o.latency_ms !== undefined) col.append(this.metaLine(o));
    if (o.note) col.append(h('div', { className: 'note' }, o.note));
    if (o.status === 'pending') {
      const line = h('span', { className: 'queue' }, 'Sending…');
      if (o.queue) this.fillQueueLine(line, o.queue);
      col.append(h('div', { className: 'pending' }, h('vscode-progress-ring', { 'aria-label': 'Waiting for the sampler' }), line));
    } else if (o.status === 'cancelled') {
      col.append(h('div', { className: 'muted', 'data-cancelled': '' }, 'Cancelled. The request was aborted.'));
    } else if (o.status === 'failed' && o.error) {
      col.append(this.errorBox(o.error, run.id));
    }
    if (o.prompt && o.prompt.ids.length) {
      col.append(
        h(
          'details',
          { className: 'prompt-lp' },
          h('summary', {}, `Prompt (${o.prompt.ids.length} tokens${o.prompt.logprobs ? ', logprobs' : ''})`),
          tokenView(o.prompt, 'Prompt tokens'),
        ),
      );
    }
    const score = scoreLine(o);
    if (score) col.append(score);
    this.appendCards(col, run, i);
    const branches = branchSection(run, i, (id) => this.cb.cancel(id));
    if (branches) col.append(branches);
    return col;
  }

  /**
   * A column's samples: full cards for a few, compact one-line cards for a fan-out (a click opens
   * one in full), filtered to a clicked bar's group when there is one.
   */
  private appendCards(col: HTMLElement, run: Run, i: number): void {
    const o = run.outcomes[i]!;
    const samples = o.samples ?? [];
    const focus = this.focus.get(`${run.id}:${i}`);
    if (focus) {
      const all = h('a', { href: '#', 'data-action': 'show-all' }, 'Show all');
      all.addEventListener('click', (e) => {
        e.preventDefault();
        this.focus.delete(`${run.id}:${i}`);
        this.showRun(run);
      });
      col.append(
        h(
          'div',
          { className: 'focus-line', 'data-focus': focus.samples.size },
          `${focus.samples.size} of ${samples.length} samples answering `,
          h('code', {}, focus.key === OTHER_KEY ? 'another answer' : focus.key),
          ' · ',
          all,
        ),
      );
    }
    const shown = (k: number) => !focus || focus.samples.has(k);
    if (samples.length <= COMPACT_ABOVE) {
      samples.forEach((s, k) => {
        if (shown(k)) col.append(this.card(s, k, o, run.id, i));
      });
      return;
    }
    const rule = this.rules.get(run.id) ?? { kind: 'exact' };
    const groups = groupAnswers(
      samples.map((s) => s.text),
      rule,
    );
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => g.samples.forEach((k) => groupOf.set(k, gi)));
    const box = h('div', { className: 'cards compact', 'data-compact': samples.length });
    const parts: string[] = [];
    samples.forEach((s, k) => {
      if (!shown(k)) return;
      const text = s.text.length > 240 ? `${s.text.slice(0, 240)}…` : s.text;
      // Under an extraction rule, the answer it found leads the line: the rest is the sample's text.
      const g = groupOf.get(k)!;
      const answer = rule.kind === 'exact' ? '' : `<span class="cans" data-answer>${escapeHtml(groups[g]!.key.slice(0, 40))}</span>`;
      parts.push(
        `<div class="card compact" data-sample="${k}" data-group="${g}" tabindex="0" role="button" aria-label="Sample ${k + 1}: open"><span class="ck">#${k + 1}</span>${answer}<span class="ctext">${escapeHtml(text)}</span></div>`,
      );
    });
    box.innerHTML = parts.join('');
    const open = (t: EventTarget | null) => {
      const c = (t as HTMLElement | null)?.closest?.('.card.compact') as HTMLElement | null;
      if (!c) return;
      const k = Number(c.dataset.sample);
      c.replaceWith(this.card(samples[k]!, k, o, run.id, i));
    };
    box.addEventListener('click', (e) => open(e.target));
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') open(e.target);
    });
    col.append(box);
  }

  private metaLine(o: Outcome): HTMLElement {
    const line = h('div', { className: 'meta' });
    const generated = (o.samples ?? []).reduce((n, s) => n + (s.tokens?.ids.length ?? 0), 0);
    if (o.latency_ms !== undefined) {
      // Waiting (rate limit, queue) is shown apart and left out of tok/s, which measures generation.
      const wait = Math.min(o.wait_ms ?? 0, o.latency_ms);
      const gen = o.latency_ms - wait;
      line.append(h('span', { 'data-latency': '' }, fmtMs(o.latency_ms)));
      if (wait > 0) line.append(h('span', { 'data-wait': '' }, `${fmtMs(wait)} waiting · ${fmtMs(gen)} generating`));
      if (generated && gen > 0) line.append(h('span', { 'data-tps': '' }, `${(generated / (gen / 1000)).toFixed(1)} tok/s`));
    }
    if (o.prompt_tokens !== undefined) line.append(h('span', {}, `prompt ${o.prompt_tokens} tok`));
    if (o.request_id) line.append(this.requestId(o.request_id));
    return line;
  }

  private requestId(id: string): HTMLElement {
    const btn = h(
      'vscode-button',
      { secondary: true, 'data-action': 'copy-request-id', 'aria-label': 'Copy request_id' },
      'Copy request_id',
    );
    btn.addEventListener('click', () => this.cb.copy(id, 'request_id'));
    return h('span', { className: 'rid' }, h('code', { 'data-request-id': id }, id), btn);
  }

  private errorBox(e: ErrorInfo, runId: string): HTMLElement {
    const box = h(
      'div',
      { className: 'error', role: 'alert', 'data-error-kind': e.kind },
      h('div', {}, h('b', {}, e.inline ? 'Cannot send: ' : `${e.kind}: `), e.message),
    );
    const actions = h('div', { className: 'error-actions' });
    if (e.request_id) actions.append(this.requestId(e.request_id));
    if (!e.inline) {
      const retry = h('vscode-button', { 'data-action': 'retry' }, 'Retry');
      retry.addEventListener('click', () => this.cb.rerun(runId));
      actions.append(retry);
    }
    box.append(actions);
    return box;
  }

  private card(s: Sample, k: number, o: Outcome, runId: string, index: number): HTMLElement {
    const n = s.tokens?.ids.length;
    const meta = h(
      'div',
      { className: 'meta' },
      h('span', {}, `#${k + 1}`),
      h('span', { 'data-stop': s.stop_reason }, `stop: ${s.stop_reason}`),
    );
    if (n !== undefined) meta.append(h('span', {}, `${n} tokens`));
    const copy = h('vscode-button', { secondary: true, 'data-action': 'copy-text' }, 'Copy');
    copy.addEventListener('click', () => this.cb.copy(s.text, 'text'));
    meta.append(copy);
    if (s.tokens?.ids.length && !s.tokens.topk) {
      const alts = h(
        'vscode-button',
        { secondary: true, 'data-action': 'alternatives', title: 'One scoring request: prompt + this sample' },
        'Alternatives',
      );
      alts.addEventListener('click', () => this.cb.alternatives({ runId, index, sample: k }));
      meta.append(alts);
    } else if (s.alts) {
      meta.append(
        h(
          'span',
          { className: 'muted', 'data-alts': s.alts, title: s.score_request_id ? `scoring request ${s.score_request_id}` : '' },
          s.alts === 'server' ? 'alternatives: server top-k' : 'alternatives: scored',
        ),
      );
    }
    if (o.score === undefined) {
      const score = h(
        'vscode-button',
        { secondary: true, 'data-action': 'score-this', title: 'Score this text under every target' },
        'Score',
      );
      score.addEventListener('click', () => this.cb.scoreText(s.text));
      meta.append(score);
    }
    const text = h('pre', { className: 'text' }, s.text);
    const card = h('div', { className: 'card', 'data-sample': k }, meta, text);
    if (s.tokens && s.tokens.ids.length) {
      // The token view already shows the decoded text, coloured; the plain text is one click away
      // (hidden costs no layout, which keeps a 4 x 1,000-token run inside the render budget).
      const tokens = tokenView(
        s.tokens,
        `Tokens of sample ${k + 1}${s.tokens.logprobs ? ' coloured by logprob' : ''}`,
        o.score === undefined ? { runId, index, sample: k } : undefined,
      );
      text.hidden = true;
      const toggle = h('vscode-button', { secondary: true, 'data-action': 'toggle-text' }, 'Plain text');
      toggle.addEventListener('click', () => {
        text.hidden = !text.hidden;
        tokens.hidden = !tokens.hidden;
        toggle.textContent = text.hidden ? 'Plain text' : 'Tokens';
      });
      meta.append(toggle);
      card.append(tokens);
    } else if (o.via === 'openai') {
      card.append(h('div', { className: 'muted' }, 'No token view: the OpenAI-compatible endpoint returns text without logprobs.'));
    }
    return card;
  }
}

const STAGE_WORDS: Record<string, string> = {
  queued: 'Queued',
  prefill: 'Reading the prompt (prefill)',
  decode: 'Generating',
  running: 'Running',
};

/** "rate limited · retry in 6s", then "rate limited · retrying" once the wait is over. */
export function retryText(reason: string, secondsLeft: number): string {
  return secondsLeft > 0 ? `${reason} · retry in ${secondsLeft}s` : `${reason} · retrying`;
}

/** The server's own words for where the request is; position and ETA only when it sent them. */
export function queueText(q: QueueInfo): string {
  const stage = q.stage ?? (q.queue_state === 'active' ? undefined : q.queue_state);
  const parts = [stage ? (STAGE_WORDS[stage] ?? stage.replace(/_/g, ' ')) : 'Running'];
  if (q.queue_state_reason) parts.push(q.queue_state_reason);
  if (q.queue_position !== undefined)
    parts.push(`position ${q.queue_position}${q.queue_depth !== undefined ? ` of ${q.queue_depth}` : ''}`);
  if (q.eta_s !== undefined) parts.push(`ETA ${Math.max(0, Math.round(q.eta_s))} s`);
  if (q.tokens_generated !== undefined) {
    parts.push(q.max_tokens !== undefined ? `${q.tokens_generated} of ${q.max_tokens} tokens` : `${q.tokens_generated} tokens so far`);
  }
  return parts.join(' · ');
}
