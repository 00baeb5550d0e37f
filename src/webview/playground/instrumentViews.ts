/**
 * The instrument's views inside a column or a run: the branch tree of an outcome (browsable, one
 * branch shown at a time beside what its parent said from the same token), a scored completion's
 * totals, and, across targets, the tokens where their logprobs disagree most.
 */
import { shortTargetLabel, type Branch, type Outcome, type Run, type TokenView } from '../../shared/playground';
import { escapeHtml, h } from './dom';
import { tokenView } from './tokens';

function preview(text: string, n = 60): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/** The generated tokens a branch (or the sample) holds: what a branch of it keeps and replaces. */
export function tokensOf(o: Outcome, sample: number, branch?: string): TokenView | undefined {
  return branch ? o.branches?.find((b) => b.id === branch)?.sample?.tokens : o.samples?.[sample]?.tokens;
}

/** One line of the tree: a sample that has branches, or a branch at its depth. */
export type TreeRow = { root: number } | { b: Branch; depth: number };

/** The tree in reading order (depth first): per sample that has branches, its branches, each followed by its own. */
export function treeRows(o: Outcome): TreeRow[] {
  const branches = o.branches ?? [];
  const children = new Map<string, Branch[]>();
  const ids = new Set(branches.map((b) => b.id));
  for (const b of branches) {
    const key = b.parent && ids.has(b.parent) ? b.parent : `s${b.from}`;
    let list = children.get(key);
    if (!list) children.set(key, (list = []));
    list.push(b);
  }
  const rows: TreeRow[] = [];
  const walk = (key: string, depth: number) => {
    for (const b of children.get(key) ?? []) {
      rows.push({ b, depth });
      walk(b.id, depth + 1);
    }
  };
  const roots = [...new Set(branches.map((b) => b.from))].sort((a, b) => a - b);
  for (const s of roots) {
    if (!children.has(`s${s}`)) continue;
    rows.push({ root: s });
    walk(`s${s}`, 1);
  }
  return rows;
}

function rowHtml(r: TreeRow): string {
  if ('root' in r) return `<div class="brow broot" data-root="${r.root}">Sample #${r.root + 1}</div>`;
  const b = r.b;
  const status =
    b.status === 'done'
      ? ''
      : b.status === 'pending'
        ? ` <span class="bstatus pending">generating…</span> <a href="#" data-cancel-branch="${b.id}">Cancel</a>`
        : ` <span class="bstatus ${b.status}">${b.status}</span>`;
  const after = b.sample?.tokens ? b.sample.tokens.pieces.slice(b.at + (b.forced ?? 1)).join('') : '';
  return (
    `<div class="brow" data-branch="${b.id}" data-depth="${r.depth}"${b.parent ? ` data-parent="${b.parent}"` : ''} style="padding-left:${r.depth * 12}px">` +
    `<a href="#" class="bnode" data-branch-open="${b.id}">@${b.at + 1} <b>${escapeHtml(JSON.stringify(b.token[1]))}</b> → ${escapeHtml(preview(after))}</a>${status}</div>`
  );
}

/** Rows have one height, so the tree is virtualised like the history: a thousand branches cost what twenty do. */
const TREE_ROW = 20;
const TREE_OVERSCAN = 8;

/** One branch beside its parent: both from the branching token on, and the branch's whole token view. */
/** Branches offered in a branch's Compare with list. */
const MAX_COMPARE = 50;

/** Where two token sequences part: the first position whose token differs (or the shorter length). */
export function divergence(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * One branch beside another text of its column, both from where they part: its parent (the
 * sample or branch it came from) at first, or any sample or finished branch chosen in the list.
 */
export function branchDetail(run: Run, index: number, b: Branch): HTMLElement {
  const o = run.outcomes[index]!;
  const el = h('div', { className: 'branch-view', 'data-branch-view': b.id });
  const forced = b.forced ?? 1;
  const mine = b.sample?.tokens;
  const others: Array<{ value: string; label: string; tokens: TokenView }> = [];
  const parent = tokensOf(o, b.from, b.parent);
  if (parent) others.push({ value: 'parent', label: b.parent ? `its parent branch` : `its sample #${b.from + 1}`, tokens: parent });
  (o.samples ?? []).forEach((s, k) => {
    if (s.tokens && (b.parent || k !== b.from)) others.push({ value: `s${k}`, label: `sample #${k + 1}`, tokens: s.tokens });
  });
  // Other branches: its siblings first (same sample and parent), then the rest, up to a list one can read.
  const rest = (o.branches ?? []).filter((x) => x.id !== b.id && x.id !== b.parent && x.sample?.tokens);
  const sibling = (x: Branch) => x.from === b.from && x.parent === b.parent;
  for (const x of [...rest.filter(sibling), ...rest.filter((x) => !sibling(x))].slice(0, MAX_COMPARE)) {
    others.push({ value: x.id, label: `branch @${x.at + 1} ${JSON.stringify(x.token[1])}`, tokens: x.sample!.tokens! });
  }
  const select = h('select', { 'data-compare': '', 'aria-label': 'Compare with' }) as HTMLSelectElement;
  for (const x of others) select.append(h('option', { value: x.value }, x.label));
  const head = h('div', { className: 'muted', 'data-diverge': '' });
  const was = h('pre', { className: 'text', 'data-was': '' });
  const now = h('pre', { className: 'text', 'data-now': '' });
  const fill = () => {
    const other = others.find((x) => x.value === select.value) ?? others[0];
    if (!other || !mine) {
      was.textContent = '';
      now.textContent = b.sample?.text ?? '';
      head.textContent = '';
      return;
    }
    const at = divergence(other.tokens.ids, mine.ids);
    head.textContent = `They part at token ${at + 1}; the same ${at} token${at === 1 ? '' : 's'} before it are not repeated.`;
    was.textContent = other.tokens.pieces.slice(at).join('');
    now.textContent = mine.pieces.slice(at).join('');
  };
  select.addEventListener('change', fill);
  fill();
  el.append(
    h('div', { className: 'branch-head' }, h('span', { className: 'muted' }, 'Compare with '), select),
    head,
    h(
      'div',
      { className: 'branch-compare' },
      h('div', {}, h('div', { className: 'muted' }, 'Other'), was),
      h('div', {}, h('div', { className: 'muted' }, `This branch (${JSON.stringify(b.token[1])} at token ${b.at + 1})`), now),
    ),
  );
  if (b.error) el.append(h('div', { className: 'error', role: 'alert' }, `${b.error.kind}: ${b.error.message}`));
  if (mine) el.append(tokenView(mine, `Branch ${b.id}`, { runId: run.id, index, sample: b.from, branch: b.id }, { kept: b.at, forced }));
  if (b.request_id)
    el.append(h('div', { className: 'muted' }, 'request_id ', h('code', { 'data-request-id': b.request_id }, b.request_id)));
  return el;
}

export function branchSection(run: Run, index: number, cancel?: (branchId: string) => void): HTMLElement | undefined {
  const o = run.outcomes[index]!;
  if (!o.branches?.length) return undefined;
  const rows = treeRows(o);
  const viewport = h('div', { className: 'btree', role: 'tree', tabindex: 0, 'aria-label': 'Branches' });
  const spacer = h('div', { className: 'btree-spacer' });
  const lines = h('div', { className: 'btree-rows' });
  spacer.append(lines);
  viewport.append(spacer);
  spacer.style.height = `${rows.length * TREE_ROW}px`;
  let shown: string | undefined;
  /** Where the tree should be scrolled to, until it is in the page and can be (a scrollTop set before that is lost). */
  let want: number | undefined;
  const draw = () => {
    const height = viewport.clientHeight || 240;
    const top = want ?? viewport.scrollTop;
    const first = Math.max(0, Math.floor(top / TREE_ROW) - TREE_OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + height) / TREE_ROW) + TREE_OVERSCAN);
    lines.style.transform = `translateY(${first * TREE_ROW}px)`;
    lines.innerHTML = rows.slice(first, last).map(rowHtml).join('');
    if (shown) lines.querySelector(`[data-branch-open="${CSS.escape(shown)}"]`)?.classList.add('cur');
  };
  let frame = 0;
  viewport.addEventListener(
    'scroll',
    () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          draw();
        });
    },
    { passive: true },
  );
  const box = h(
    'details',
    { className: 'branches', open: true, 'data-branches': o.branches.length },
    h('summary', {}, `Branches (${o.branches.length})`),
    viewport,
  );
  const show = (id: string) => {
    const b = o.branches!.find((x) => x.id === id);
    box.querySelector('.branch-view')?.remove();
    if (!b || shown === id) {
      shown = undefined;
      draw();
      return;
    }
    shown = id;
    const at = rows.findIndex((r) => 'b' in r && r.b.id === id);
    if (at >= 0 && (at * TREE_ROW < viewport.scrollTop || (at + 1) * TREE_ROW > viewport.scrollTop + (viewport.clientHeight || 240))) {
      want = Math.max(0, at * TREE_ROW - 2 * TREE_ROW);
      if (viewport.isConnected) {
        viewport.scrollTop = want;
        want = undefined;
      } else {
        requestAnimationFrame(() => {
          if (want !== undefined) viewport.scrollTop = want;
          want = undefined;
        });
      }
    }
    draw();
    box.append(branchDetail(run, index, b));
  };
  viewport.addEventListener('click', (e) => {
    const stop = (e.target as HTMLElement).closest<HTMLElement>('[data-cancel-branch]');
    if (stop) {
      e.preventDefault();
      cancel?.(stop.dataset.cancelBranch!);
      return;
    }
    const a = (e.target as HTMLElement).closest<HTMLElement>('[data-branch-open]');
    if (!a) return;
    e.preventDefault();
    show(a.dataset.branchOpen!);
  });
  // The newest branch is the one just asked for: show it.
  show(o.branches[o.branches.length - 1]!.id);
  return box;
}

export function scoreLine(o: Outcome): HTMLElement | undefined {
  if (!o.score) return undefined;
  return h(
    'div',
    { className: 'score-line' },
    h('span', {}, 'total logprob ', h('b', { 'data-score-total': '' }, o.score.total.toFixed(3))),
    h('span', {}, 'mean ', h('b', { 'data-score-mean': '' }, o.score.mean.toFixed(3))),
    h('span', { className: 'muted' }, `${o.score.tokens} tokens · perplexity ${Math.exp(-o.score.mean).toFixed(2)}`),
  );
}

/**
 * Where the targets disagree most on a scored completion: positions ranked by the spread of
 * their logprobs (max − min). Only targets that tokenized the completion alike are compared.
 */
export function disagreement(run: Run, top = 8): HTMLElement | undefined {
  if (run.completion === undefined) return undefined;
  const done = run.outcomes.map((o, c) => ({ o, c, t: o.samples?.[0]?.tokens })).filter((x) => x.o.status === 'done' && x.t?.logprobs);
  if (done.length < 2) return undefined;
  const ref = done[0]!.t!;
  const same = done.filter((x) => x.t!.ids.length === ref.ids.length && x.t!.ids.every((id, i) => id === ref.ids[i]));
  if (same.length < 2) {
    return h(
      'div',
      { className: 'muted', 'data-disagree': '' },
      'The targets tokenize this completion differently: per-token values are not compared.',
    );
  }
  const rows: Array<{ i: number; spread: number }> = [];
  for (let i = 0; i < ref.ids.length; i++) {
    const vals = same.map((x) => x.t!.logprobs![i]).filter((v): v is number => v !== null && v !== undefined);
    if (vals.length < 2) continue;
    rows.push({ i, spread: Math.max(...vals) - Math.min(...vals) });
  }
  rows.sort((a, b) => b.spread - a.spread);
  const table = h('table', { className: 'disagree', 'data-disagree': '' });
  const head = h('tr', {}, h('th', {}, '#'), h('th', {}, 'token'));
  for (const x of same) head.append(h('th', {}, shortTargetLabel(x.o.target)));
  head.append(h('th', {}, 'spread'));
  table.append(head);
  for (const r of rows.slice(0, top)) {
    const tr = h(
      'tr',
      { 'data-pos': r.i },
      h('td', {}, String(r.i + 1)),
      h('td', {}, h('code', {}, JSON.stringify(ref.pieces[r.i] ?? ''))),
    );
    for (const x of same) tr.append(h('td', {}, (x.t!.logprobs![r.i] ?? NaN).toFixed(3)));
    tr.append(h('td', { 'data-spread': '' }, r.spread.toFixed(3)));
    table.append(tr);
  }
  return h('section', { className: 'disagreement' }, h('b', {}, 'Where the targets disagree most'), table);
}
