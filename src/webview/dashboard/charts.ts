/**
 * The charts: one uPlot chart per metric key (small multiples), in collapsible sections per group.
 * Only charts near the viewport exist (an IntersectionObserver creates them as they scroll into
 * view), so a run with 100 keys opens as fast as one with 10. Data changes are batched per frame:
 * a whole column (`series`) rebuilds a chart's arrays, an appended row is pushed onto them in place
 * and the chart gets one setData in the next animation frame.
 *
 * Per selected run a chart has two series: the raw values (faint while smoothing is on) and the
 * EMA-smoothed ones. Cursors are synced across charts (uPlot sync), the legend under each chart
 * shows the values under the cursor, and checkpoints are drawn as dashed vertical lines on the step
 * axis by a plugin, with a small clickable marker per checkpoint.
 */
import uPlot from 'uplot';
import { groupOf, orderKeys, type Checkpoint, type GroupName, type Settings } from '../../shared/dashboard';
import { fmtDuration, fmtNum, h, themeVar } from './dom';
import { emaSeries, joinRuns, normalize, thinIndices, type Aligned, type Ema, type Y } from './series';
import type { Store } from './store';

export const CHART_HEIGHT = 200;
const SYNC_KEY = 'mint-dashboard';
/** How far outside the viewport a chart is still created, in CSS pixels. */
const NEAR_PX = 400;
const MAX_MARKERS = 500;
/**
 * Points per run and key handed to uPlot at most: a longer column (a host that did not downsample)
 * is thinned to its per-bucket extremes when the chart is built. Smoothing sees every point.
 */
export const MAX_PLOT_POINTS = 10_000;

export interface ShownRun {
  id: string;
  name: string;
  color: string;
}

export interface BoardHost {
  store: Store;
  shownRuns(): ShownRun[];
  settings(): Settings;
  checkpoints(runId: string): readonly Checkpoint[];
  openCheckpoint(runId: string, cp: Checkpoint): void;
  weightsOnly(runId: string, cp: Checkpoint): void;
  exportChart(cell: ChartCell, format: 'png' | 'svg'): void;
}

export interface Theme {
  fg: string;
  muted: string;
  grid: string;
  bg: string;
  font: string;
  fontFamily: string;
}

export function readTheme(): Theme {
  const family = themeVar('--vscode-font-family', 'system-ui, sans-serif');
  return {
    fg: themeVar('--vscode-foreground', '#cccccc'),
    muted: themeVar('--vscode-descriptionForeground', '#999999'),
    grid: themeVar('--vscode-editorWidget-border', themeVar('--vscode-panel-border', 'rgba(128,128,128,0.35)')),
    bg: themeVar('--vscode-editor-background', '#1e1e1e'),
    font: `11px ${family}`,
    fontFamily: family,
  };
}

/** `#rrggbb` with an alpha; other colour strings are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  return /^#[0-9a-fA-F]{6}$/.test(color)
    ? `${color}${Math.round(alpha * 255)
        .toString(16)
        .padStart(2, '0')}`
    : color;
}

export function xLabel(xKey: Settings['xKey']): string {
  return xKey === 'time' ? 'time' : xKey;
}

export function xFormatter(xKey: Settings['xKey']): (v: number) => string {
  return xKey === 'time' ? fmtDuration : fmtNum;
}

export class ChartCell {
  readonly el: HTMLElement;
  readonly plotEl: HTMLElement;
  readonly legendEl: HTMLElement;
  readonly noteEl: HTMLElement;
  u: uPlot | undefined;
  /** What the chart was created for (runs, colours, scale, smoothing, axis, theme): a change recreates it. */
  shape = '';
  /** From the IntersectionObserver; undefined until its first report. */
  visible: boolean | undefined;
  /** The arrays must be rebuilt from the store (a new column, new runs, new settings). */
  stale = true;
  /** Rows were pushed onto the arrays; setData is due. */
  grown = false;
  /** Plotted arrays: x, then per shown run [raw, smoothed]. */
  px: number[] = [];
  cols: Aligned[][] = [];
  runs: ShownRun[] = [];
  private emas: Ema[] = [];
  /** Values left out by the log scale (not positive). */
  masked = 0;
  private logOn = false;
  private extent: [number, number] | undefined;
  private readonly markers = new Map<string, HTMLButtonElement>();

  constructor(
    readonly board: ChartBoard,
    readonly key: string,
  ) {
    this.plotEl = h('div', { className: 'plot' });
    this.legendEl = h('div', { className: 'legend', 'aria-live': 'off' });
    this.noteEl = h('div', { className: 'note', hidden: true });
    const png = h('button', { className: 'link', title: `Save ${key} as PNG`, 'data-export': 'png' }, 'PNG');
    const svg = h('button', { className: 'link', title: `Save ${key} as SVG`, 'data-export': 'svg' }, 'SVG');
    png.addEventListener('click', () => board.host.exportChart(this, 'png'));
    svg.addEventListener('click', () => board.host.exportChart(this, 'svg'));
    this.el = h(
      'div',
      { className: 'chart', 'data-key': key },
      h(
        'div',
        { className: 'chart-head' },
        h('span', { className: 'chart-title', title: key }, key),
        h('span', { className: 'tools' }, png, svg),
      ),
      this.plotEl,
      this.noteEl,
      this.legendEl,
    );
  }

  /** Rebuilds the plotted arrays from the store for the shown runs and settings. */
  rebuild(runs: ShownRun[], settings: Settings): void {
    const store = this.board.host.store;
    const w = settings.ema;
    this.runs = runs;
    this.logOn = settings.logScale;
    this.masked = 0;
    const parts = runs.map((r) => {
      const s = store.get(r.id, this.key);
      const base = !s ? { x: [] as number[], y: [] as Y[] } : s.strict ? { x: s.x.slice(), y: s.y.slice() } : normalize(s.x, s.y);
      const { sm, ema } = emaSeries(base.y, w);
      if (this.logOn) for (const v of base.y) if (v !== null && !(v > 0)) this.masked++;
      if (base.x.length <= MAX_PLOT_POINTS) return { x: base.x, cols: [base.y, sm], ema };
      // Smoothed over every point, then thinned for drawing; rows appended later are all kept.
      const keep = thinIndices(base.y, MAX_PLOT_POINTS);
      return { x: keep.map((i) => base.x[i]!), cols: [keep.map((i) => base.y[i]!), keep.map((i) => sm[i]!)], ema };
    });
    this.emas = parts.map((p) => p.ema);
    if (parts.length === 1) {
      this.px = parts[0]!.x;
      this.cols = parts[0]!.cols;
    } else {
      const j = joinRuns(parts);
      this.px = j.x;
      this.cols = j.cols;
    }
    if (this.logOn) {
      for (let c = 0; c < this.cols.length; c++) {
        const col = this.cols[c]!;
        for (let i = 0; i < col.length; i++) {
          const v = col[i];
          if (v !== null && v !== undefined && !(v > 0)) col[i] = null;
        }
      }
    }
    this.stale = false;
    this.grown = false;
  }

  /**
   * One appended value of shown run `r`, pushed onto the plotted arrays when it lands after the
   * last x (or fills that x for a run that had nothing there); anything else marks the chart stale.
   */
  appendPoint(r: number, x: number, y: Y): void {
    if (this.stale || r >= this.runs.length) return;
    const n = this.px.length;
    const last = n > 0 ? this.px[n - 1]! : -Infinity;
    const raw = this.cols[2 * r]!;
    // Out of order, a second value at the last x, or grown well past the thinning limit: rebuild.
    if (x < last || (x === last && raw[n - 1] !== undefined) || n > MAX_PLOT_POINTS * 1.5) {
      this.stale = true;
      return;
    }
    let sm = this.emas[r]!.next(y);
    let v = y;
    if (this.logOn) {
      if (v !== null && !(v > 0)) {
        v = null;
        this.masked++;
      }
      if (sm !== null && !(sm > 0)) sm = null;
    }
    if (x > last) {
      this.px.push(x);
      for (const col of this.cols) col.push(undefined);
    }
    const i = this.px.length - 1;
    raw[i] = v;
    this.cols[2 * r + 1]![i] = sm;
    this.grown = true;
  }

  data(): uPlot.AlignedData {
    return [this.px, ...this.cols] as unknown as uPlot.AlignedData;
  }

  /** Creates, recreates or updates the uPlot chart so it shows the current arrays. */
  render(shape: string, theme: Theme, settings: Settings): boolean {
    const width = Math.floor(this.plotEl.clientWidth);
    if (width <= 0) return false;
    const rebuilt = this.stale;
    if (rebuilt) this.rebuild(this.board.shownRuns(), settings);
    if (!this.u || this.shape !== shape) {
      this.u?.destroy();
      this.markers.clear();
      this.shape = shape;
      this.u = new uPlot(this.options(width, theme, settings), this.data(), this.plotEl);
    } else if (this.grown || rebuilt) {
      // Keep a zoomed-in view where it is; follow the data otherwise.
      const sx = this.u.scales.x;
      const follow = !this.extent || sx.min == null || sx.max == null || (sx.min <= this.extent[0] && sx.max >= this.extent[1]);
      this.u.setData(this.data(), follow);
    }
    this.grown = false;
    this.extent = this.px.length ? [this.px[0]!, this.px[this.px.length - 1]!] : undefined;
    this.updateNote(settings);
    this.updateLegend();
    return true;
  }

  resize(): void {
    if (!this.u) return;
    const width = Math.floor(this.plotEl.clientWidth);
    if (width > 0 && width !== this.u.width) this.u.setSize({ width, height: CHART_HEIGHT });
  }

  destroy(): void {
    this.u?.destroy();
    this.u = undefined;
    this.shape = '';
    this.markers.clear();
    this.stale = true;
  }

  private options(width: number, theme: Theme, settings: Settings): uPlot.Options {
    const emaOn = settings.ema > 0;
    const fmtX = xFormatter(settings.xKey);
    const axis = (values: (v: number) => string): uPlot.Axis => ({
      stroke: theme.fg,
      font: theme.font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1, size: 4 },
      gap: 3,
      values: (_u, splits) => splits.map((v) => (v == null ? '' : values(v))),
    });
    const series: uPlot.Series[] = [{ label: xLabel(settings.xKey), value: (_u, v) => (v == null ? '—' : fmtX(v)) }];
    for (const r of this.runs) {
      series.push({ label: `${r.name} (raw)`, stroke: emaOn ? withAlpha(r.color, 0.28) : r.color, width: 1, points: { show: false } });
      series.push({ label: r.name, stroke: r.color, width: 1, points: { show: false }, show: emaOn });
    }
    return {
      width,
      height: CHART_HEIGHT,
      legend: { show: false },
      cursor: { sync: { key: SYNC_KEY }, drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
      scales: { x: { time: false }, y: settings.logScale ? { distr: 3, log: 10 } : {} },
      axes: [
        { ...axis(fmtX), size: 26 },
        {
          ...axis(fmtNum),
          size: (_u, values) => (values?.length ? Math.max(...values.map((v) => String(v).length)) * 6.5 + 14 : 40),
        },
      ],
      series,
      plugins: [this.markersPlugin()],
      hooks: {
        setCursor: [() => this.updateLegend()],
        draw: [() => this.board.drew()],
      },
    };
  }

  private updateNote(settings: Settings): void {
    const notes: string[] = [];
    const hasData = this.cols.some((c, i) => i % 2 === 0 && c.some((v) => v !== undefined));
    if (!hasData) notes.push('No values yet for the selected runs.');
    if (settings.logScale && this.masked > 0) {
      notes.push(`Log scale: ${this.masked} value${this.masked === 1 ? ' is' : 's are'} zero or negative and not drawn.`);
    }
    this.noteEl.textContent = notes.join(' ');
    this.noteEl.hidden = notes.length === 0;
    this.el.dataset.nonPositive = String(this.masked);
  }

  /** The value of run r at aligned index idx, or the nearest row of that run when it has none exactly there. */
  private valueAt(col: Aligned[], idx: number): Y | undefined {
    if (col[idx] !== undefined) return col[idx];
    for (let d = 1; d < 64; d++) {
      if (idx - d >= 0 && col[idx - d] !== undefined) return col[idx - d];
      if (idx + d < col.length && col[idx + d] !== undefined) return col[idx + d];
    }
    return undefined;
  }

  private lastOf(col: Aligned[]): { v: Y | undefined; i: number } {
    for (let i = col.length - 1; i >= 0; i--) if (col[i] !== undefined && col[i] !== null) return { v: col[i], i };
    return { v: undefined, i: -1 };
  }

  /** The legend: per run its colour, name and value under the cursor (else its latest), smoothed then raw. */
  updateLegend(): void {
    const settings = this.board.host.settings();
    const emaOn = settings.ema > 0;
    const idx = this.u?.cursor.idx;
    const fmtX = xFormatter(settings.xKey);
    const rows: Node[] = [];
    let xText = '';
    if (idx != null && idx < this.px.length) xText = `${xLabel(settings.xKey)} ${fmtX(this.px[idx]!)}`;
    this.runs.forEach((r, k) => {
      const raw = this.cols[2 * k] ?? [];
      const sm = this.cols[2 * k + 1] ?? [];
      let rv: Y | undefined;
      let sv: Y | undefined;
      if (idx != null) {
        rv = this.valueAt(raw, idx);
        sv = this.valueAt(sm, idx);
      } else {
        const last = this.lastOf(raw);
        rv = last.v;
        sv = last.i >= 0 ? sm[last.i] : undefined;
        if (k === 0 && last.i >= 0) xText = `${xLabel(settings.xKey)} ${fmtX(this.px[last.i]!)} (latest)`;
      }
      const swatch = h('span', { className: 'swatch' });
      swatch.style.background = r.color;
      const value = emaOn ? `${fmtNum(sv)} (raw ${fmtNum(rv)})` : fmtNum(rv);
      rows.push(h('span', { className: 'entry', 'data-run': r.id }, swatch, h('span', { className: 'name' }, r.name), h('b', {}, value)));
    });
    this.legendEl.replaceChildren(h('span', { className: 'x' }, xText), ...rows);
  }

  /** Dashed lines at checkpoint steps (on the canvas) and a marker per checkpoint to click. */
  private markersPlugin(): uPlot.Plugin {
    return {
      hooks: {
        draw: [
          (u: uPlot) => {
            const host = this.board.host;
            const onStep = host.settings().xKey === 'step';
            const wanted = new Set<string>();
            const sx = u.scales.x;
            if (onStep && sx.min != null && sx.max != null) {
              const ctx = u.ctx;
              const ratio = u.ctx.canvas.width / Math.max(1, u.width);
              const { top, height } = u.bbox;
              let count = 0;
              ctx.save();
              ctx.lineWidth = ratio;
              for (const r of this.runs) {
                for (const cp of host.checkpoints(r.id)) {
                  if (cp.step < sx.min || cp.step > sx.max || count >= MAX_MARKERS) continue;
                  count++;
                  const x = Math.round(u.valToPos(cp.step, 'x', true)) + 0.5;
                  ctx.strokeStyle = withAlpha(r.color, cp.sampler_path ? 0.75 : 0.4);
                  ctx.setLineDash(cp.sampler_path ? [4 * ratio, 3 * ratio] : [1 * ratio, 3 * ratio]);
                  ctx.beginPath();
                  ctx.moveTo(x, top);
                  ctx.lineTo(x, top + height);
                  ctx.stroke();
                  const id = `${r.id}\u0000${cp.name}\u0000${cp.step}`;
                  wanted.add(id);
                  let b = this.markers.get(id);
                  if (!b) {
                    b = this.marker(r, cp);
                    this.markers.set(id, b);
                    u.over.append(b);
                  }
                  b.style.left = `${u.valToPos(cp.step, 'x')}px`;
                }
              }
              ctx.restore();
            }
            for (const [id, b] of this.markers) {
              if (!wanted.has(id)) {
                b.remove();
                this.markers.delete(id);
              }
            }
          },
        ],
      },
    };
  }

  private marker(r: ShownRun, cp: Checkpoint): HTMLButtonElement {
    const host = this.board.host;
    const where = `Checkpoint ${cp.name} at step ${fmtNum(cp.step)} of ${r.name}${cp.final ? ' (final)' : ''}`;
    const title = cp.sampler_path
      ? `${where}: click to open ${cp.sampler_path} in the playground, compared with the base model.`
      : `${where} has training-state weights only${cp.state_path ? ` (${cp.state_path})` : ''}: the playground samples sampler weights. Save them with save_weights_for_sampler to open this checkpoint.`;
    const b = h('button', {
      className: `ckpt ${cp.sampler_path ? 'sampler' : 'weights'}${cp.final ? ' final' : ''}`,
      title,
      'aria-label': title,
      'data-checkpoint': cp.name,
      'data-run': r.id,
      'data-step': cp.step,
      'aria-disabled': cp.sampler_path ? undefined : 'true',
    });
    b.style.borderColor = r.color;
    if (cp.sampler_path) b.style.background = r.color;
    // uPlot starts a zoom selection on mousedown in the plot; a click on a marker is not one.
    b.addEventListener('mousedown', (e) => e.stopPropagation());
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      if (cp.sampler_path) host.openCheckpoint(r.id, cp);
      else host.weightsOnly(r.id, cp);
    });
    return b;
  }
}

interface Section {
  name: GroupName;
  details: HTMLDetailsElement;
  grid: HTMLElement;
  count: HTMLElement;
  keys: string[];
}

export class ChartBoard {
  readonly el = h('div', { className: 'charts' });
  private readonly sections = new Map<GroupName, Section>();
  readonly cells = new Map<string, ChartCell>();
  private readonly dirty = new Set<ChartCell>();
  private frame = 0;
  private theme: Theme | undefined;
  private themeVersion = 0;
  private readonly io: IntersectionObserver;
  private readonly ro: ResizeObserver;
  private readonly byEl = new WeakMap<Element, ChartCell>();
  /** Keys whose cell sits in a section (a new list of groups places them again). */
  private readonly placed = new Set<string>();
  /** Frames drawn by any chart, for the tests and the bench. */
  draws = 0;

  constructor(readonly host: BoardHost) {
    this.io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const cell = this.byEl.get(e.target);
          if (!cell) continue;
          cell.visible = e.isIntersecting;
          if (cell.visible && (cell.stale || cell.grown || !cell.u || cell.shape !== this.shape())) this.schedule(cell);
        }
      },
      { rootMargin: `${NEAR_PX}px 0px` },
    );
    let resizeFrame = 0;
    this.ro = new ResizeObserver(() => {
      cancelAnimationFrame(resizeFrame);
      resizeFrame = requestAnimationFrame(() => {
        for (const c of this.cells.values()) {
          if (c.u) c.resize();
          else if (c.visible) this.schedule(c); // it had no width to be created with
        }
      });
    });
    this.ro.observe(this.el);
  }

  shownRuns(): ShownRun[] {
    return this.host.shownRuns();
  }

  /** What makes a chart be created anew rather than given new data. */
  shape(): string {
    const s = this.host.settings();
    const runs = this.host
      .shownRuns()
      .map((r) => `${r.id}\u0001${r.color}\u0001${r.name}`)
      .join('\u0002');
    return `${runs}|${s.logScale}|${s.ema > 0}|${s.xKey}|${this.themeVersion}`;
  }

  drew(): void {
    this.draws++;
  }

  /** The metric groups from the host (replaces the sections; keeps charts of keys still listed). */
  setGroups(groups: ReadonlyArray<{ name: GroupName; keys: readonly string[] }>): void {
    const keep = new Set(groups.flatMap((g) => g.keys));
    for (const [key, cell] of this.cells) {
      if (!keep.has(key)) {
        this.io.unobserve(cell.el);
        cell.destroy();
        cell.el.remove();
        this.cells.delete(key);
        this.dirty.delete(cell);
      }
    }
    for (const s of this.sections.values()) s.details.remove();
    const old = new Map(this.sections);
    this.sections.clear();
    this.placed.clear();
    for (const g of groups) {
      if (this.sections.has(g.name)) continue;
      const s = old.get(g.name) ?? this.section(g.name);
      s.keys = [];
      s.grid.replaceChildren();
      this.sections.set(g.name, s);
      this.el.append(s.details);
    }
    for (const g of groups) for (const k of g.keys) this.ensureKey(k, g.name);
  }

  private section(name: GroupName): Section {
    const count = h('span', { className: 'count' });
    const grid = h('div', { className: 'grid' });
    const details = h(
      'details',
      { className: 'group', 'data-group': name, open: true },
      h('summary', {}, h('span', {}, name), count),
      grid,
    );
    return { name, details, grid, count, keys: [] };
  }

  /** Makes sure a key has a chart cell, placed in its group (by prefix unless given) in chart order. */
  ensureKey(key: string, group?: GroupName): ChartCell {
    let cell = this.cells.get(key);
    if (cell && this.placed.has(key)) return cell;
    const name = group ?? groupOf(key);
    let s = this.sections.get(name);
    if (!s) {
      s = this.section(name);
      this.sections.set(name, s);
      this.el.append(s.details);
    }
    if (!cell) {
      cell = new ChartCell(this, key);
      this.cells.set(key, cell);
      this.byEl.set(cell.el, cell);
      this.io.observe(cell.el);
    }
    this.placed.add(key);
    s.keys = orderKeys([...s.keys, key]);
    const next = s.keys[s.keys.indexOf(key) + 1];
    const before = next !== undefined ? this.cells.get(next)?.el : undefined;
    if (before && before.parentElement === s.grid) s.grid.insertBefore(cell.el, before);
    else s.grid.append(cell.el);
    s.count.textContent = String(s.keys.length);
    this.schedule(cell);
    return cell;
  }

  keys(): string[] {
    return [...this.sections.values()].flatMap((s) => s.keys);
  }

  /** The column of `key` changed for a shown run: rebuild that chart. */
  invalidate(key: string): void {
    const cell = this.cells.get(key);
    if (!cell) return;
    cell.stale = true;
    this.schedule(cell);
  }

  /** Runs, settings or the theme changed: every chart is rebuilt (when it is next near the viewport). */
  invalidateAll(themeChanged = false): void {
    if (themeChanged) {
      this.theme = undefined;
      this.themeVersion++;
    }
    for (const cell of this.cells.values()) {
      cell.stale = true;
      this.schedule(cell);
    }
  }

  /** Appended values of shown run r. */
  appendPoint(key: string, r: number, x: number, y: Y): void {
    const cell = this.cells.get(key);
    if (!cell) return;
    cell.appendPoint(r, x, y);
    this.schedule(cell);
  }

  /** Checkpoints changed: redraw the charts that exist (markers are drawn with the chart). */
  redrawMarkers(): void {
    for (const cell of this.cells.values()) cell.u?.redraw(false, false);
  }

  private schedule(cell: ChartCell): void {
    this.dirty.add(cell);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private near(cell: ChartCell): boolean {
    if (cell.visible !== undefined) return cell.visible;
    const r = cell.el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    return r.bottom >= -NEAR_PX && r.top <= window.innerHeight + NEAR_PX;
  }

  /** Applies the batched changes to the charts near the viewport; the others wait until they scroll in. */
  flush(): void {
    this.frame = 0;
    const shape = this.shape();
    const settings = this.host.settings();
    this.theme ??= readTheme();
    for (const cell of [...this.dirty]) {
      this.dirty.delete(cell);
      if (!this.near(cell)) continue;
      cell.render(shape, this.theme, settings);
    }
  }

  /** Charts that exist (are near the viewport or were). */
  created(): ChartCell[] {
    return [...this.cells.values()].filter((c) => c.u);
  }

  currentTheme(): Theme {
    return (this.theme ??= readTheme());
  }
}
