/**
 * Playground webview entry (bundled to dist/webview/playground.js, loaded by nonce). It keeps no
 * state of its own worth saving: the host owns it and replays it after `ready`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { HostToWebviewSchema, type Draft, type HostToWebview, type Prompt, type Params, type Target } from '../../shared/playground';
import { clear, h, newRunId } from './dom';
import { PlaygroundForm } from './form';
import { HistoryView } from './history';
import { ResultsView } from './results';
import { installTokenMenu, installTokenTooltip, setHeatScale } from './tokens';
import { post } from './vscodeApi';

const root = document.getElementById('app') ?? document.body;
const notices = h('div', { className: 'notices', 'aria-live': 'polite' });
/** The key of the notice that says the server could not be reached (or refused the model list). */
const SERVER_NOTICE = 'server';
const codeBox = h('section', { className: 'code', hidden: true, 'aria-label': 'Code' });

let draftTimer: ReturnType<typeof setTimeout> | undefined;
let codeTimer: ReturnType<typeof setTimeout> | undefined;
let countTimer: ReturnType<typeof setTimeout> | undefined;
let replaying = false;
/** Runs this page started (Sample, Rerun, Retry): their results are brought into view here, not in the other pages. */
const mine = new Set<string>();
/** Set by History → Open until the host's draft arrives: then the loaded form is scrolled into view. */
let opening = false;

function startRun(runId: string): string {
  mine.add(runId);
  return runId;
}

/**
 * Brings one of this page's runs into view unless its top already shows. In the sidebar the form
 * fills the pane, so a new result would otherwise land below the fold and Sample seem to do nothing;
 * called again when an outcome grows the card, so a Rerun started from the history stays in view.
 */
function reveal(runId: string): void {
  if (!mine.has(runId)) return;
  const el = results.el.querySelector<HTMLElement>(`[data-run="${CSS.escape(runId)}"]`);
  if (!el) return;
  const top = el.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 60) el.scrollIntoView({ block: 'start' });
}

const form = new PlaygroundForm({
  changed(draft: Draft) {
    if (replaying) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => post({ type: 'draft', draft }), 250);
    requestCount();
    followCode();
  },
  submit(targets: Target[], prompt: Prompt, params: Params) {
    const runId = startRun(newRunId());
    form.setPending(true);
    if (targets.length > 1) post({ type: 'compare', runId, targets, prompt, params });
    else post({ type: 'sample', runId, target: targets[0]!, prompt, params });
  },
  cancel() {
    for (const id of results.pendingRunIds()) post({ type: 'cancel', runId: id });
  },
  viewAsCode(targets, prompt, params) {
    post({ type: 'viewAsCode', targets, prompt, params });
  },
  refresh() {
    post({ type: 'refreshModels' });
  },
  score(targets, prompt, params, completion) {
    const runId = startRun(newRunId());
    form.setPending(true);
    post({ type: 'score', runId, targets, prompt, params, completion });
  },
});

const results = new ResultsView({
  copy: (text, what) => post({ type: 'copy', text, what }),
  cancel: (runId) => post({ type: 'cancel', runId }),
  rerun: (historyId) => {
    form.setPending(true);
    post({ type: 'rerun', historyId, runId: startRun(newRunId()) });
  },
  alternatives: (ref) =>
    post({
      type: 'alternatives',
      runId: ref.runId,
      index: ref.index,
      sample: ref.sample,
      ...(ref.branch ? { branch: ref.branch } : {}),
      k: 5,
    }),
  scoreText: (text) => form.setScoreText(text),
  heatScale: (s) => {
    // Shown at once; the host keeps it as the mint.playground.heatScale setting and tells every page.
    results.setScale(s);
    post({ type: 'heatScale', scale: s });
  },
});

const history = new HistoryView({
  open: (historyId) => {
    opening = true;
    post({ type: 'openHistory', historyId });
  },
  rerun: (historyId) => {
    form.setPending(true);
    post({ type: 'rerun', historyId, runId: startRun(newRunId()) });
  },
  remove: (historyId) => post({ type: 'deleteHistory', historyId }),
  exportAs: (format) => post({ type: 'export', format }),
  clearAll: () => post({ type: 'clearHistory' }),
  search: (query) => post({ type: 'searchHistory', query }),
  pin: (historyId, pinned) => post({ type: 'pinHistory', historyId, pinned }),
  rename: (historyId, name) => post({ type: 'renameHistory', historyId, name }),
  share: (historyId) => post({ type: 'shareRun', historyId }),
  importRun: () => post({ type: 'importRun' }),
});

function requestCount(): void {
  clearTimeout(countTimer);
  countTimer = setTimeout(() => {
    const target = form.firstTarget();
    const prompt = form.currentPrompt();
    if (target && prompt) post({ type: 'countTokens', target, prompt });
  }, 300);
}

/**
 * A notice at the top. The same words are never shown twice, and a keyed notice (the model list's
 * failure to reach the server) replaces its older self and is cleared once its cause is gone.
 */
function notice(level: 'info' | 'warning' | 'error', message: string, key?: string): void {
  for (const old of notices.querySelectorAll<HTMLElement>('.notice')) {
    if ((key !== undefined && old.dataset.key === key) || old.dataset.message === message) old.remove();
  }
  const el = h('div', { className: `notice ${level}`, role: level === 'error' ? 'alert' : 'status' }, message);
  el.dataset.message = message;
  if (key !== undefined) el.dataset.key = key;
  const close = h('a', { href: '#', 'aria-label': 'Dismiss' }, '×');
  close.addEventListener('click', (e) => {
    e.preventDefault();
    el.remove();
  });
  el.append(close);
  notices.append(el);
  while (notices.children.length > 3) notices.firstElementChild?.remove();
}

function clearNotice(key: string): void {
  for (const old of notices.querySelectorAll<HTMLElement>(`.notice[data-key="${key}"]`)) old.remove();
}

/**
 * While the code is open it follows the live form (and the server: a models broadcast follows a
 * server change), so it never shows a model, URL or prompt that is no longer there. A form that
 * cannot be sent has no code: the old one is then marked out of date instead of silently kept.
 */
function followCode(): void {
  if (codeBox.hidden) return;
  clearTimeout(codeTimer);
  codeTimer = setTimeout(() => {
    if (codeBox.hidden) return;
    const req = form.currentRequest();
    if (req) post({ type: 'viewAsCode', targets: req.targets, prompt: req.prompt, params: req.params });
    else codeBox.querySelector('[data-code-stale]')?.removeAttribute('hidden');
  }, 300);
}

function showCode(python: string, typescript: string): void {
  const opening = codeBox.hidden;
  clear(codeBox);
  const block = (lang: 'python' | 'typescript', text: string) => {
    const copy = h('vscode-button', { secondary: true, 'data-action': `copy-${lang}` }, 'Copy');
    copy.addEventListener('click', () => post({ type: 'copy', text, what: 'code' }));
    const open = h('vscode-button', { secondary: true, 'data-action': `open-${lang}` }, 'Open in editor');
    open.addEventListener('click', () => post({ type: 'openCode', language: lang, text }));
    return h(
      'div',
      { className: 'code-block' },
      h('div', { className: 'code-head' }, h('b', {}, lang === 'python' ? 'Python (import mint)' : 'TypeScript'), copy, open),
      h('pre', { 'data-code': lang }, text),
    );
  };
  const close = h('vscode-button', { secondary: true }, 'Close');
  close.addEventListener('click', () => (codeBox.hidden = true));
  const stale = h(
    'div',
    { className: 'blocker', 'data-code-stale': '', hidden: true },
    'Out of date: the form cannot be sent as it is. Fix it and this code follows.',
  );
  codeBox.append(h('h2', {}, 'View as code'), stale, block('python', python), block('typescript', typescript), close);
  codeBox.hidden = false;
  if (opening) codeBox.scrollIntoView({ block: 'nearest' });
}

function handle(msg: HostToWebview): void {
  switch (msg.type) {
    case 'heatScale':
      results.setScale(msg.scale);
      break;
    case 'state':
      if (msg.heatScale) setHeatScale(msg.heatScale);
      replaying = true;
      try {
        form.setCatalog(msg.models, msg.checkpoints);
        if (msg.draft) form.setDraft(msg.draft);
        results.clearAll();
        for (const run of [...msg.runs].reverse()) results.showRun(run);
        history.setItems(msg.history);
        form.setPending(results.isPending());
      } finally {
        replaying = false;
      }
      requestCount();
      followCode();
      break;
    case 'models':
      form.setCatalog(msg.models, msg.checkpoints);
      // The server answered the model list: an older "could not reach" notice is no longer true.
      if (msg.error) notice('error', msg.error.message, SERVER_NOTICE);
      else clearNotice(SERVER_NOTICE);
      followCode();
      break;
    case 'run':
      results.showRun(msg.run);
      form.setPending(results.isPending());
      reveal(msg.run.id);
      break;
    case 'outcome':
      results.setOutcome(msg.runId, msg.index, msg.outcome);
      // A sample came back: the server is reachable, whatever an older notice said.
      if (msg.outcome.status === 'done') clearNotice(SERVER_NOTICE);
      form.setPending(results.isPending());
      reveal(msg.runId);
      break;
    case 'draft':
      // Another page's edit, or History → Open: the host's draft replaces this form's, without echoing it back.
      replaying = true;
      try {
        form.setDraft(msg.draft);
      } finally {
        replaying = false;
      }
      requestCount();
      if (opening) form.el.scrollIntoView({ block: 'start' });
      opening = false;
      break;
    case 'queue':
      results.setQueue(msg.runId, msg.index, msg.queue);
      break;
    case 'history':
      history.setItems(msg.history);
      break;
    case 'historyResults':
      history.setResults(msg.query, msg.history);
      break;
    case 'code':
      showCode(msg.python, msg.typescript);
      break;
    case 'tokenCount':
      form.setContext({
        target: msg.target,
        count: msg.count,
        max: msg.max_context_length,
        note: msg.tokenizer.state === 'unavailable' ? msg.tokenizer.message : undefined,
      });
      break;
    case 'notice':
      notice(msg.level, msg.message);
      break;
    case 'rejected':
      notice('error', msg.message);
      form.setPending(results.isPending());
      break;
  }
}

window.addEventListener('message', (ev: MessageEvent) => {
  const parsed = HostToWebviewSchema.safeParse(ev.data);
  // Only the host posts here; anything that does not fit the protocol is a bug, not input to act on.
  if (!parsed.success) {
    console.warn('MinT playground ignored a message that does not fit the protocol', parsed.error.issues[0]);
    return;
  }
  handle(parsed.data);
});

root.append(notices, form.el, codeBox, results.el, history.el);
installTokenTooltip(root);
installTokenMenu(root, {
  branch: (ref, at, token) =>
    post({
      type: 'branch',
      runId: ref.runId,
      index: ref.index,
      sample: ref.sample,
      ...(ref.branch ? { parent: ref.branch } : {}),
      at,
      token,
      branchId: newRunId(),
    }),
  alternatives: (ref) =>
    post({
      type: 'alternatives',
      runId: ref.runId,
      index: ref.index,
      sample: ref.sample,
      ...(ref.branch ? { branch: ref.branch } : {}),
      k: 5,
    }),
});
post({ type: 'ready' });
