/**
 * The history list, virtualised: only the rows in view (plus a small margin) exist in the DOM,
 * so 10,000 runs cost the same to scroll as 10. Rows have one fixed height to make that cheap.
 */
import type { HistorySummary } from '../../shared/playground';
import { fmtTime, h } from './dom';

const ROW = 46;
const OVERSCAN = 6;

export interface HistoryCallbacks {
  open(id: string): void;
  rerun(id: string): void;
  remove(id: string): void;
  exportAs(format: 'jsonl' | 'markdown'): void;
  clearAll(): void;
}

export class HistoryView {
  readonly el: HTMLElement;
  private items: HistorySummary[] = [];
  private readonly viewport = h('div', { className: 'history-viewport', tabindex: 0, 'aria-label': 'Run history' });
  private readonly spacer = h('div', { className: 'history-spacer' });
  private readonly rows = h('div', { className: 'history-rows', role: 'list' });
  private readonly count = h('span', { className: 'muted', 'data-history-count': '' });
  private frame = 0;

  constructor(private readonly cb: HistoryCallbacks) {
    this.spacer.append(this.rows);
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.rows.addEventListener('click', (e) => this.onClick(e));
    const btn = (label: string, action: string, fn: () => void) => {
      const b = h('vscode-button', { secondary: true, 'data-action': action }, label);
      b.addEventListener('click', fn);
      return b;
    };
    this.el = h(
      'details',
      { className: 'history', open: true },
      h('summary', {}, 'History ', this.count),
      h(
        'div',
        { className: 'history-tools' },
        btn('Export JSONL', 'export-jsonl', () => cb.exportAs('jsonl')),
        btn('Export Markdown', 'export-markdown', () => cb.exportAs('markdown')),
        btn('Clear', 'clear-history', () => cb.clearAll()),
      ),
      this.viewport,
    );
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  /** Newest first, as the host keeps them. */
  setItems(items: HistorySummary[]): void {
    this.items = items;
    this.count.textContent = `(${items.length.toLocaleString('en-US')})`;
    this.spacer.style.height = `${items.length * ROW}px`;
    this.render();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Build only the visible rows. Called on scroll, resize and data change. */
  render(): void {
    const height = this.viewport.clientHeight || 300;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((this.viewport.scrollTop + height) / ROW) + OVERSCAN);
    this.rows.style.transform = `translateY(${first * ROW}px)`;
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const it = this.items[i]!;
      out.push(
        h(
          'div',
          { className: `history-row ${it.status}`, role: 'listitem', 'data-id': it.id, 'data-index': i },
          h('div', { className: 'history-line' }, h('span', { className: 'history-title', title: it.title }, it.title || '(empty prompt)')),
          h(
            'div',
            { className: 'history-line muted' },
            h('span', {}, `${fmtTime(it.time)} · ${it.models.join(', ')} · ${it.status}`),
            h(
              'span',
              { className: 'history-actions' },
              h('a', { href: '#', 'data-act': 'open' }, 'Open'),
              h('a', { href: '#', 'data-act': 'rerun' }, 'Rerun'),
              h('a', { href: '#', 'data-act': 'remove', 'aria-label': 'Delete from history' }, 'Delete'),
            ),
          ),
        ),
      );
    }
    this.rows.replaceChildren(...out);
  }

  private onClick(e: Event): void {
    const t = e.target as HTMLElement;
    const row = t.closest<HTMLElement>('.history-row');
    if (!row) return;
    e.preventDefault();
    const id = row.dataset.id!;
    const act = t.closest<HTMLElement>('[data-act]')?.dataset.act ?? 'open';
    if (act === 'rerun') this.cb.rerun(id);
    else if (act === 'remove') this.cb.remove(id);
    else this.cb.open(id);
  }
}
