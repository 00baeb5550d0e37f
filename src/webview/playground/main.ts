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
import { installTokenTooltip } from './tokens';
import { post } from './vscodeApi';

const root = document.getElementById('app') ?? document.body;
const notices = h('div', { className: 'notices', 'aria-live': 'polite' });
/** The key of the notice that says the server could not be reached (or refused the model list). */
const SERVER_NOTICE = 'server';
const codeBox = h('section', { className: 'code', hidden: true, 'aria-label': 'Code' });

let draftTimer: ReturnType<typeof setTimeout> | undefined;
let countTimer: ReturnType<typeof setTimeout> | undefined;
let replaying = false;

const form = new PlaygroundForm({
  changed(draft: Draft) {
    if (replaying) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(() => post({ type: 'draft', draft }), 250);
    requestCount();
  },
  submit(targets: Target[], prompt: Prompt, params: Params) {
    const runId = newRunId();
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
});

const results = new ResultsView({
  copy: (text, what) => post({ type: 'copy', text, what }),
  cancel: (runId) => post({ type: 'cancel', runId }),
  rerun: (historyId) => {
    form.setPending(true);
    post({ type: 'rerun', historyId, runId: newRunId() });
  },
});

const history = new HistoryView({
  open: (historyId) => post({ type: 'openHistory', historyId }),
  rerun: (historyId) => {
    form.setPending(true);
    post({ type: 'rerun', historyId, runId: newRunId() });
  },
  remove: (historyId) => post({ type: 'deleteHistory', historyId }),
  exportAs: (format) => post({ type: 'export', format }),
  clearAll: () => post({ type: 'clearHistory' }),
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

function showCode(python: string, typescript: string): void {
  clear(codeBox);
  const block = (lang: string, text: string) => {
    const copy = h('vscode-button', { secondary: true, 'data-action': `copy-${lang}` }, 'Copy');
    copy.addEventListener('click', () => post({ type: 'copy', text, what: 'code' }));
    return h(
      'div',
      { className: 'code-block' },
      h('div', { className: 'code-head' }, h('b', {}, lang === 'python' ? 'Python (import mint)' : 'TypeScript'), copy),
      h('pre', { 'data-code': lang }, text),
    );
  };
  const close = h('vscode-button', { secondary: true }, 'Close');
  close.addEventListener('click', () => (codeBox.hidden = true));
  codeBox.append(h('h2', {}, 'View as code'), block('python', python), block('typescript', typescript), close);
  codeBox.hidden = false;
  codeBox.scrollIntoView({ block: 'nearest' });
}

function handle(msg: HostToWebview): void {
  switch (msg.type) {
    case 'state':
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
      break;
    case 'models':
      form.setCatalog(msg.models, msg.checkpoints);
      // The server answered the model list: an older "could not reach" notice is no longer true.
      if (msg.error) notice('error', msg.error.message, SERVER_NOTICE);
      else clearNotice(SERVER_NOTICE);
      break;
    case 'run':
      results.showRun(msg.run);
      form.setPending(results.isPending());
      break;
    case 'outcome':
      results.setOutcome(msg.runId, msg.index, msg.outcome);
      // A sample came back: the server is reachable, whatever an older notice said.
      if (msg.outcome.status === 'done') clearNotice(SERVER_NOTICE);
      form.setPending(results.isPending());
      break;
    case 'queue':
      results.setQueue(msg.runId, msg.index, msg.queue);
      break;
    case 'history':
      history.setItems(msg.history);
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
post({ type: 'ready' });
