/**
 * The history list, virtualised: only the rows in view (plus a small margin) exist in the DOM,
 * so 10,000 runs cost the same to scroll as 10. Rows have one fixed height to make that cheap.
 * A search box asks the host (which searches prompts, samples and branches of every run); runs
 * can be pinned (they stay on top), named, and shared as a file another playground opens.
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
  search(query: string): void;
  pin(id: string, pinned: boolean): void;
  rename(id: string, name: string): void;
  share(id: string): void;
  importRun(): void;
}

export class HistoryView {
  readonly el: HTMLElement;
  private items: HistorySummary[] = [];
  private all: HistorySummary[] = [];
  private query = '';
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly searchBox = h('input', {
    type: 'search',
    'data-history-search': '',
    placeholder: 'Search prompts, answers, branches, names',
    'aria-label': 'Search the history',
  }) as HTMLInputElement;
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
        btn('Open shared run', 'import-run', () => cb.importRun()),
      ),
      this.searchBox,
      this.viewport,
    );
    this.searchBox.addEventListener('input', () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => {
        this.query = this.searchBox.value.trim();
        if (this.query) cb.search(this.query);
        else this.show(this.all);
      }, 200);
    });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  /** Pinned first, then newest first, as the host keeps them. A search in progress is asked again. */
  setItems(items: HistorySummary[]): void {
    this.all = items;
    if (this.query) this.cb.search(this.query);
    else this.show(items);
  }

  /** The host's answer to a search; an answer to an older query is dropped. */
  setResults(query: string, items: HistorySummary[]): void {
    if (query !== this.query) return;
    this.show(items);
  }

  private show(items: HistorySummary[]): void {
    this.items = items;
    this.count.textContent = this.query
      ? `(${items.length.toLocaleString('en-US')} of ${this.all.length.toLocaleString('en-US')} match)`
      : `(${items.length.toLocaleString('en-US')})`;
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
          { className: `history-row ${it.status}${it.pinned ? ' pinned' : ''}`, role: 'listitem', 'data-id': it.id, 'data-index': i },
          h(
            'div',
            { className: 'history-line' },
            h(
              'span',
              { className: 'history-title', title: it.title },
              it.pinned ? '📌 ' : '',
              it.name ? h('b', { 'data-name': '' }, `${it.name} · `) : '',
              it.title || '(empty prompt)',
            ),
            h(
              'span',
              { className: 'muted' },
              [
                it.kind === 'score' ? 'score' : '',
                it.samples && it.samples > 1 ? `${it.samples} samples` : '',
                it.branches ? `${it.branches} branches` : '',
              ]
                .filter(Boolean)
                .join(' · '),
            ),
          ),
          h(
            'div',
            { className: 'history-line muted' },
            h('span', {}, `${fmtTime(it.time)} · ${it.models.join(', ')} · ${it.status}`),
            h(
              'span',
              { className: 'history-actions' },
              h('a', { href: '#', 'data-act': 'open' }, 'Open'),
              h('a', { href: '#', 'data-act': 'rerun' }, 'Rerun'),
              h('a', { href: '#', 'data-act': 'pin' }, it.pinned ? 'Unpin' : 'Pin'),
              h('a', { href: '#', 'data-act': 'rename' }, 'Name'),
              h('a', { href: '#', 'data-act': 'share' }, 'Share'),
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
    if ((t as HTMLElement).closest('[data-rename-input]')) return;
    const it = this.items.find((x) => x.id === id);
    if (act === 'rerun') this.cb.rerun(id);
    else if (act === 'remove') this.cb.remove(id);
    else if (act === 'pin') this.cb.pin(id, !it?.pinned);
    else if (act === 'share') this.cb.share(id);
    else if (act === 'rename') this.startRename(row, id, it?.name ?? '');
    else this.cb.open(id);
  }

  /** The row's title becomes a field: Enter names the run (empty: no name), Escape leaves it. */
  private startRename(row: HTMLElement, id: string, name: string): void {
    const input = h('input', {
      type: 'text',
      'data-rename-input': '',
      'aria-label': 'Name of this run',
      placeholder: 'Name',
    }) as HTMLInputElement;
    input.value = name;
    const title = row.querySelector('.history-title');
    title?.replaceChildren(input);
    input.focus();
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.cb.rename(id, input.value);
      } else if (e.key === 'Escape') this.render();
    });
  }
}
