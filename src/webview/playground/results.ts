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
import { clear, fmtMs, fmtTime, h } from './dom';
import { logprobLegend, tokenView } from './tokens';

export interface ResultCallbacks {
  copy(text: string, what: 'request_id' | 'text'): void;
  cancel(runId: string): void;
  rerun(runId: string): void;
}

const MAX_RUNS_SHOWN = 8;

export class ResultsView {
  readonly el = h('section', { className: 'results', 'aria-label': 'Results' });
  private readonly runs = new Map<string, { run: Run; el: HTMLElement }>();
  /** Ticks the "retry in Ns" lines while any is on screen; the deadline is this page's own clock. */
  private countdown: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly cb: ResultCallbacks) {}

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
    const col = entry.el.querySelector<HTMLElement>(`[data-col="${index}"]`);
    const fresh = this.renderOutcome(entry.run, index);
    if (col) col.replaceWith(fresh);
    this.updateRunHeader(entry.run, entry.el);
    this.updateLegend(entry.run, entry.el);
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
    this.updateRunHeader(run, el);
    this.updateLegend(run, el);
    return el;
  }

  /** A run with coloured tokens carries the key to the colours, under its header; a text-only run does not. */
  private updateLegend(run: Run, el: HTMLElement): void {
    const coloured = run.outcomes.some((o) => o.prompt?.logprobs || o.samples?.some((s) => s.tokens?.logprobs));
    const legend = el.querySelector(':scope > .lp-legend');
    if (coloured && !legend) el.querySelector('.run-head')!.after(logprobLegend());
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
    (o.samples ?? []).forEach((s, k) => col.append(this.card(s, k, o)));
    return col;
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

  private card(s: Sample, k: number, o: Outcome): HTMLElement {
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
    const text = h('pre', { className: 'text' }, s.text);
    const card = h('div', { className: 'card', 'data-sample': k }, meta, text);
    if (s.tokens && s.tokens.ids.length) {
      // The token view already shows the decoded text, coloured; the plain text is one click away
      // (hidden costs no layout, which keeps a 4 x 1,000-token run inside the render budget).
      const tokens = tokenView(s.tokens, `Tokens of sample ${k + 1}${s.tokens.logprobs ? ' coloured by logprob' : ''}`);
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
