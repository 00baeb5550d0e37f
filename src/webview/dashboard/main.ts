/**
 * Run dashboard page (bundled to dist/webview/dashboard.js with dist/webview/dashboard.css). The
 * host owns the runs and their files; the page holds what it was sent (see src/shared/dashboard.ts
 * for the protocol and the message flow) and draws it: metric charts per group, overlaid runs,
 * checkpoint markers, samples per step and a config diff.
 */
import './zodConfig';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import {
  DEFAULT_SETTINGS,
  HostToDashboardSchema,
  MAX_OVERLAY,
  type Checkpoint,
  type HostToDashboard,
  type RunInfo,
  type RunStatus,
  type Settings,
} from '../../shared/dashboard';
import { ChartBoard, type ChartCell, type ShownRun } from './charts';
import { ConfigDiffPanel } from './configDiff';
import { fmtTime, h } from './dom';
import { chartPng, chartSvg } from './exporter';
import { SamplesPanel } from './samples';
import { Store } from './store';
import { post } from './vscodeApi';

/** Okabe–Ito, the colour-blind-safe qualitative palette (its black swapped for a grey that reads on dark themes too). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#999999'];

const root = document.getElementById('app') ?? document.body;
const store = new Store();
let runs: RunInfo[] = [];
let selected: string[] = [];
let settings: Settings = { ...DEFAULT_SETTINGS };
let initialised = false;
const checkpoints = new Map<string, Checkpoint[]>();
const assigned = new Map<string, string>();
const updatedAt = new Map<string, string>();

function runById(id: string): RunInfo | undefined {
  return runs.find((r) => r.id === id);
}

function colorOf(id: string): string {
  return runById(id)?.color ?? assigned.get(id) ?? PALETTE[0]!;
}

/** Every selected run without a colour of its own keeps its palette colour, or takes the first one no other selected run uses. */
function assignColors(): void {
  const used = new Set<string>();
  for (const id of selected) {
    const own = runById(id)?.color;
    if (own) used.add(own.toLowerCase());
  }
  for (const id of selected) {
    if (runById(id)?.color) continue;
    const had = assigned.get(id);
    if (had && !used.has(had.toLowerCase())) {
      used.add(had.toLowerCase());
      continue;
    }
    const free = PALETTE.find((c) => !used.has(c.toLowerCase())) ?? PALETTE[selected.indexOf(id) % PALETTE.length]!;
    assigned.set(id, free);
    used.add(free.toLowerCase());
  }
}

function shownRuns(): ShownRun[] {
  return selected.map((id) => ({ id, name: runById(id)?.name ?? id, color: colorOf(id) }));
}

// ---------- notices ----------

const notices = h('div', { className: 'notices', 'aria-live': 'polite' });

function notice(level: 'info' | 'warning' | 'error', message: string): void {
  for (const old of notices.querySelectorAll<HTMLElement>('.notice')) if (old.dataset.message === message) old.remove();
  const close = h('button', { className: 'link', 'aria-label': 'Dismiss' }, '×');
  const el = h('div', { className: `notice ${level}`, role: level === 'error' ? 'alert' : 'status' }, h('span', {}, message), close);
  el.dataset.message = message;
  close.addEventListener('click', () => el.remove());
  notices.append(el);
  while (notices.children.length > 3) notices.firstElementChild?.remove();
}

// ---------- charts ----------

const board = new ChartBoard({
  store,
  shownRuns,
  settings: () => settings,
  checkpoints: (id) => checkpoints.get(id) ?? [],
  openCheckpoint(runId, cp) {
    if (cp.sampler_path) post({ type: 'openCheckpoint', runId, sampler_path: cp.sampler_path });
  },
  weightsOnly(_runId, cp) {
    notice(
      'info',
      `${cp.name} has training-state weights only, which the playground cannot sample. Save sampler weights (save_weights_for_sampler) to open a checkpoint.`,
    );
  },
  exportChart,
});

function exportChart(cell: ChartCell, format: 'png' | 'svg'): void {
  if (!cell.u) {
    notice('info', `The chart of ${cell.key} is not drawn yet: scroll it into view, then export.`);
    return;
  }
  try {
    if (format === 'png') post({ type: 'export', format, key: cell.key, dataUrl: chartPng(cell, board.currentTheme()) });
    else
      post({
        type: 'export',
        format,
        key: cell.key,
        svg: chartSvg(cell, board.currentTheme(), settings, (id) => checkpoints.get(id) ?? []),
      });
  } catch (err) {
    notice('error', `Could not export ${cell.key}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------- run picker and controls ----------

const runList = h('div', { className: 'run-list', 'data-runs': '' });
const pickerMsg = h('div', { className: 'picker-msg', 'data-picker-message': '', role: 'status', hidden: true });
const emaInput = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, 'data-ema': '', 'aria-label': 'Smoothing (EMA weight)' });
const emaValue = h('output', { 'data-ema-value': '' });
const logInput = h('input', { type: 'checkbox', 'data-log': '' });
const xSelect = h(
  'select',
  { 'data-xkey': '', 'aria-label': 'X axis' },
  h('option', { value: 'step' }, 'step'),
  h('option', { value: 'progress' }, 'progress'),
  h('option', { value: 'time' }, 'time'),
);
const xHint = h('span', { className: 'hint', hidden: true }, 'Checkpoint markers show on the step axis.');

function setPickerMessage(text: string): void {
  pickerMsg.textContent = text;
  pickerMsg.hidden = text === '';
}

function statusBadge(status: RunStatus, id: string): HTMLElement {
  const at = updatedAt.get(id);
  return h(
    'span',
    { className: `badge ${status}`, 'data-status': status, title: at ? `${status}, last write ${fmtTime(at)}` : status },
    status,
  );
}

function renderPicker(): void {
  runList.replaceChildren(
    ...runs.map((r) => {
      const on = selected.includes(r.id);
      const cb = h('input', { type: 'checkbox', checked: on, 'aria-label': `Show ${r.name}` });
      cb.checked = on;
      cb.addEventListener('change', () => toggleRun(r.id, cb));
      const swatch = h('span', { className: 'swatch' });
      if (on) swatch.style.background = colorOf(r.id);
      return h(
        'label',
        { className: `run${on ? ' on' : ''}`, 'data-run': r.id, title: `${r.path}${r.layout ? ` (${r.layout})` : ''}` },
        cb,
        swatch,
        h('span', { className: 'name' }, r.name),
        statusBadge(r.status, r.id),
      );
    }),
  );
}

function toggleRun(id: string, cb: HTMLInputElement): void {
  if (cb.checked) {
    if (selected.length >= MAX_OVERLAY) {
      cb.checked = false;
      setPickerMessage(`At most ${MAX_OVERLAY} runs can be overlaid. Clear one before adding ${runById(id)?.name ?? id}.`);
      return;
    }
    const order = new Map(runs.map((r, i) => [r.id, i]));
    selected = [...selected, id].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  } else selected = selected.filter((s) => s !== id);
  setPickerMessage('');
  assignColors();
  renderPicker();
  post({ type: 'select', runIds: [...selected] });
  board.invalidateAll();
  samples.runsChanged();
  config.runsChanged();
  updateEmpty();
}

let settingsTimer: ReturnType<typeof setTimeout> | undefined;
function postSettings(now: boolean): void {
  clearTimeout(settingsTimer);
  if (now) post({ type: 'settings', settings: { ...settings } });
  else settingsTimer = setTimeout(() => post({ type: 'settings', settings: { ...settings } }), 300);
}

function syncControls(): void {
  emaInput.value = String(settings.ema);
  emaValue.textContent = settings.ema.toFixed(2);
  logInput.checked = settings.logScale;
  xSelect.value = settings.xKey;
  xHint.hidden = settings.xKey === 'step';
}

emaInput.addEventListener('input', () => {
  settings = { ...settings, ema: Math.min(0.99, Math.max(0, Number(emaInput.value) || 0)) };
  syncControls();
  board.invalidateAll();
  postSettings(false);
});
emaInput.addEventListener('change', () => postSettings(true));
logInput.addEventListener('change', () => {
  settings = { ...settings, logScale: logInput.checked };
  board.invalidateAll();
  postSettings(true);
});
xSelect.addEventListener('change', () => {
  const xKey = xSelect.value as Settings['xKey'];
  if (xKey === settings.xKey) return;
  settings = { ...settings, xKey };
  // The x values change meaning: drop them; the host sends every column again.
  store.clear();
  syncControls();
  board.invalidateAll();
  postSettings(true);
});

// ---------- panels ----------

const samples = new SamplesPanel({
  runs: () => runs,
  selected: () => selected,
  request: (runId, kind, step) =>
    post(step === undefined ? { type: 'requestSamples', runId, kind } : { type: 'requestSamples', runId, kind, step }),
});
const config = new ConfigDiffPanel({
  runs: () => runs,
  selected: () => selected,
  request: (a, b) => post({ type: 'requestConfigDiff', a, b }),
});

const emptyState = h('div', { className: 'empty-state', 'data-empty': '' }, 'Loading runs…');
const chartsPanel = h('section', { className: 'panel', 'data-panel': 'charts' }, emptyState, board.el);
const samplesPanel = h('section', { className: 'panel', 'data-panel': 'samples', hidden: true }, samples.el);
const configPanel = h('section', { className: 'panel', 'data-panel': 'config', hidden: true }, config.el);
const panels = { charts: chartsPanel, samples: samplesPanel, config: configPanel };
type Tab = keyof typeof panels;

const tabs = h('nav', { className: 'tabs', role: 'tablist' });
for (const [id, label] of [
  ['charts', 'Charts'],
  ['samples', 'Samples'],
  ['config', 'Config diff'],
] as const) {
  const b = h('button', { role: 'tab', 'data-tab': id, 'aria-selected': String(id === 'charts') }, label);
  b.addEventListener('click', () => showTab(id));
  tabs.append(b);
}

function showTab(tab: Tab): void {
  for (const [id, el] of Object.entries(panels)) el.hidden = id !== tab;
  for (const b of tabs.querySelectorAll<HTMLElement>('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  if (tab === 'samples') samples.shown();
  if (tab === 'config') config.shown();
}

function updateEmpty(): void {
  let text = '';
  if (!initialised) text = 'Loading runs…';
  else if (runs.length === 0) {
    text =
      'No training runs found in this workspace. Train with MinT: Fine-tune on This Dataset, or point a Python run’s log_path into this workspace (a folder with metrics.jsonl).';
  } else if (selected.length === 0) text = `Pick a run above (up to ${MAX_OVERLAY}) to chart its metrics.`;
  else if (board.keys().length === 0) {
    text = 'No metrics yet: the selected runs have no rows in metrics.jsonl. Charts appear here as soon as a run writes one.';
  }
  emptyState.textContent = text;
  emptyState.hidden = text === '';
  board.el.hidden = !initialised || runs.length === 0 || selected.length === 0;
}

root.append(
  h(
    'header',
    { className: 'top' },
    h('div', { className: 'runs-box' }, runList, pickerMsg),
    h(
      'div',
      { className: 'controls' },
      h('label', { className: 'ctl' }, 'Smoothing ', emaInput, emaValue),
      h('label', { className: 'ctl' }, logInput, ' Log scale'),
      h('label', { className: 'ctl' }, 'X axis ', xSelect),
      xHint,
    ),
  ),
  notices,
  tabs,
  chartsPanel,
  samplesPanel,
  configPanel,
);
syncControls();
updateEmpty();

// ---------- host messages ----------

function handle(msg: HostToDashboard): void {
  switch (msg.type) {
    case 'init': {
      const xChanged = initialised && msg.settings.xKey !== settings.xKey;
      runs = msg.runs;
      const ids = new Set(runs.map((r) => r.id));
      for (const id of store.runIds()) if (!ids.has(id)) store.dropRun(id);
      for (const id of [...checkpoints.keys()]) if (!ids.has(id)) checkpoints.delete(id);
      if (xChanged) store.clear();
      settings = { ...msg.settings };
      const order = new Map(runs.map((r, i) => [r.id, i]));
      selected = [...new Set(msg.selected.filter((id) => ids.has(id)))].sort((a, b) => order.get(a)! - order.get(b)!).slice(0, MAX_OVERLAY);
      initialised = true;
      assignColors();
      renderPicker();
      setPickerMessage('');
      syncControls();
      board.setGroups(msg.groups);
      board.invalidateAll();
      samples.runsChanged();
      config.runsChanged();
      break;
    }
    case 'series':
      store.setSeries(msg.runId, msg.key, msg.x, msg.y, msg.reset === true);
      board.ensureKey(msg.key);
      if (selected.includes(msg.runId)) {
        if (msg.reset) board.invalidateAll();
        else board.invalidate(msg.key);
      }
      break;
    case 'append': {
      const r = selected.indexOf(msg.runId);
      for (const a of store.append(msg.runId, msg.rows)) {
        board.ensureKey(a.key);
        if (r >= 0) board.appendPoint(a.key, r, a.x, a.y);
      }
      break;
    }
    case 'checkpoints':
      checkpoints.set(msg.runId, msg.items);
      board.redrawMarkers();
      break;
    case 'status': {
      const run = runById(msg.runId);
      if (!run) break;
      run.status = msg.status;
      updatedAt.set(msg.runId, msg.updatedAt);
      const old = runList.querySelector(`[data-run="${CSS.escape(msg.runId)}"] .badge`);
      old?.replaceWith(statusBadge(msg.status, msg.runId));
      break;
    }
    case 'samples':
      samples.receive(msg);
      break;
    case 'configDiff':
      config.receive(msg);
      break;
    case 'notice':
      notice(msg.level, msg.message);
      break;
  }
  updateEmpty();
}

window.addEventListener('message', (ev: MessageEvent) => {
  const parsed = HostToDashboardSchema.safeParse(ev.data);
  if (!parsed.success) {
    console.warn('MinT dashboard: dropped a host message that does not fit the protocol:', parsed.error.issues[0]?.message);
    return;
  }
  try {
    handle(parsed.data);
  } catch (err) {
    notice('error', `The dashboard could not show a ${parsed.data.type} message: ${err instanceof Error ? err.message : String(err)}`);
  }
});

// A theme change (VS Code swaps the body's class and the variables): charts read colours once, so redraw them.
new MutationObserver(() => board.invalidateAll(true)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

/** For the page tests and the bench: the charts as they are. Reads only. */
Object.assign(window, {
  mintDashboard: {
    chart: (key: string) => board.cells.get(key)?.u,
    created: () => board.created().map((c) => c.key),
    cells: () => board.cells.size,
    draws: () => board.draws,
  },
});

post({ type: 'ready' });
