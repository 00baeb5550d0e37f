/**
 * Two runs' configurations side by side (config.json, or run.json's args): the keys that differ
 * first, highlighted, and the identical ones folded away.
 */
import type { ConfigDiffRow, RunInfo } from '../../shared/dashboard';
import { h } from './dom';

export interface ConfigHost {
  runs(): RunInfo[];
  selected(): string[];
  request(a: string, b: string): void;
}

export class ConfigDiffPanel {
  readonly el: HTMLElement;
  private readonly aSel = h('select', { 'aria-label': 'Run A', 'data-config-a': '' });
  private readonly bSel = h('select', { 'aria-label': 'Run B', 'data-config-b': '' });
  private readonly body = h('div', { className: 'config-body' });
  private a: string | undefined;
  private b: string | undefined;
  private shownPair = '';

  constructor(private readonly host: ConfigHost) {
    const change = () => {
      this.a = this.aSel.value;
      this.b = this.bSel.value;
      this.ask();
    };
    this.aSel.addEventListener('change', change);
    this.bSel.addEventListener('change', change);
    this.el = h(
      'section',
      { className: 'config', 'aria-label': 'Config diff' },
      h('div', { className: 'toolbar' }, h('label', {}, 'A ', this.aSel), h('label', {}, 'B ', this.bSel)),
      this.body,
    );
    this.runsChanged();
  }

  runsChanged(): void {
    const runs = this.host.runs();
    const ids = new Set(runs.map((r) => r.id));
    const sel = this.host.selected();
    if (!this.a || !ids.has(this.a)) this.a = sel[0] ?? runs[0]?.id;
    if (!this.b || !ids.has(this.b) || this.b === this.a) this.b = sel.find((id) => id !== this.a) ?? runs.find((r) => r.id !== this.a)?.id;
    const opts = (cur: string | undefined) => runs.map((r) => h('option', { value: r.id, selected: r.id === cur }, r.name));
    this.aSel.replaceChildren(...opts(this.a));
    this.bSel.replaceChildren(...opts(this.b));
    if (runs.length < 2)
      this.body.replaceChildren(h('p', { className: 'empty' }, 'A config diff needs two runs; this workspace has fewer.'));
    else if (!this.shownPair) this.body.replaceChildren(h('p', { className: 'empty' }, 'Pick two runs to compare their configs.'));
  }

  /** The panel was opened: ask for the pair unless it is what is shown. */
  shown(): void {
    if (this.a && this.b && this.shownPair !== `${this.a}\u0000${this.b}`) this.ask();
  }

  private ask(): void {
    if (!this.a || !this.b) return;
    if (this.a === this.b) {
      this.body.replaceChildren(h('p', { className: 'empty' }, 'Pick two different runs.'));
      return;
    }
    this.body.replaceChildren(h('p', { className: 'empty' }, 'Loading configs…'));
    this.host.request(this.a, this.b);
  }

  receive(msg: { a: string; b: string; rows: ConfigDiffRow[] }): void {
    this.a = msg.a;
    this.b = msg.b;
    this.shownPair = `${msg.a}\u0000${msg.b}`;
    this.runsChanged();
    const name = (id: string) => this.host.runs().find((r) => r.id === id)?.name ?? id;
    const diff = msg.rows.filter((r) => !r.same);
    const same = msg.rows.filter((r) => r.same);
    const cell = (v: string | undefined) => (v === undefined ? h('td', { className: 'unset' }, 'not set') : h('td', {}, v));
    const table = (rows: ConfigDiffRow[], cls: string) =>
      h(
        'table',
        { className: `config-table ${cls}` },
        h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, name(msg.a)), h('th', {}, name(msg.b)))),
        h(
          'tbody',
          {},
          ...rows.map((r) =>
            h(
              'tr',
              { className: r.same ? 'same' : 'differs', 'data-config-key': r.key },
              h('td', { className: 'key' }, r.key),
              cell(r.a),
              cell(r.b),
            ),
          ),
        ),
      );
    const nodes: Node[] = [
      h(
        'p',
        { className: 'summary', 'data-config-summary': '' },
        msg.rows.length === 0
          ? 'Neither run has a config (config.json or run.json args).'
          : `${diff.length} key${diff.length === 1 ? ' differs' : 's differ'}, ${same.length} identical.`,
      ),
    ];
    if (diff.length) nodes.push(table(diff, 'differs'));
    if (same.length)
      nodes.push(
        h(
          'details',
          { className: 'same-keys' },
          h('summary', {}, `${same.length} identical key${same.length === 1 ? '' : 's'}`),
          table(same, 'same'),
        ),
      );
    this.body.replaceChildren(...nodes);
  }
}
