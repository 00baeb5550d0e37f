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

/**
 * The tree as nested lists, one HTML string (a thousand nodes render in a few ms): per sample
 * that has branches, its branches, each with its own branches below it.
 */
export function branchTreeHtml(o: Outcome): string {
  const branches = o.branches ?? [];
  const children = new Map<string, Branch[]>();
  for (const b of branches) {
    const key = b.parent ?? `s${b.from}`;
    let list = children.get(key);
    if (!list) children.set(key, (list = []));
    list.push(b);
  }
  const out: string[] = [];
  const node = (b: Branch, depth: number) => {
    const kids = children.get(b.id);
    const status =
      b.status === 'done' ? '' : ` <span class="bstatus ${b.status}">${b.status === 'pending' ? 'generating…' : b.status}</span>`;
    const after = b.sample?.tokens ? b.sample.tokens.pieces.slice(b.at + (b.forced ?? 1)).join('') : '';
    out.push(
      `<li data-branch="${b.id}" data-depth="${depth}"><a href="#" class="bnode" data-branch-open="${b.id}">@${b.at + 1} <b>${escapeHtml(JSON.stringify(b.token[1]))}</b> → ${escapeHtml(preview(after))}</a>${status}`,
    );
    if (kids) {
      out.push('<ul>');
      for (const k of kids) node(k, depth + 1);
      out.push('</ul>');
    }
    out.push('</li>');
  };
  out.push('<ul class="btree">');
  const roots = [...new Set(branches.filter((b) => !b.parent).map((b) => b.from))].sort((a, b) => a - b);
  for (const s of roots) {
    out.push(`<li data-root="${s}"><span class="broot">Sample #${s + 1}</span><ul>`);
    for (const b of children.get(`s${s}`) ?? []) node(b, 1);
    out.push('</ul></li>');
  }
  out.push('</ul>');
  return out.join('');
}

/** One branch beside its parent: both from the branching token on, and the branch's whole token view. */
export function branchDetail(run: Run, index: number, b: Branch): HTMLElement {
  const o = run.outcomes[index]!;
  const parent = tokensOf(o, b.from, b.parent);
  const el = h('div', { className: 'branch-view', 'data-branch-view': b.id });
  const forced = b.forced ?? 1;
  const was = parent ? parent.pieces.slice(b.at).join('') : '';
  const now = b.sample?.tokens ? b.sample.tokens.pieces.slice(b.at).join('') : (b.sample?.text ?? '');
  el.append(
    h(
      'div',
      { className: 'branch-compare' },
      h(
        'div',
        {},
        h('div', { className: 'muted' }, `${b.parent ? 'Parent branch' : `Sample #${b.from + 1}`} from token ${b.at + 1}`),
        h('pre', { className: 'text', 'data-was': '' }, was),
      ),
      h(
        'div',
        {},
        h('div', { className: 'muted' }, `Branch with ${JSON.stringify(b.token[1])}`),
        h('pre', { className: 'text', 'data-now': '' }, now),
      ),
    ),
  );
  if (b.error) el.append(h('div', { className: 'error', role: 'alert' }, `${b.error.kind}: ${b.error.message}`));
  if (b.sample?.tokens) {
    el.append(tokenView(b.sample.tokens, `Branch ${b.id}`, { runId: run.id, index, sample: b.from, branch: b.id }, { kept: b.at, forced }));
  }
  if (b.request_id)
    el.append(h('div', { className: 'muted' }, 'request_id ', h('code', { 'data-request-id': b.request_id }, b.request_id)));
  return el;
}

export function branchSection(run: Run, index: number): HTMLElement | undefined {
  const o = run.outcomes[index]!;
  if (!o.branches?.length) return undefined;
  const tree = h('div', { className: 'btree-box' });
  tree.innerHTML = branchTreeHtml(o);
  const box = h(
    'details',
    { className: 'branches', open: true, 'data-branches': o.branches.length },
    h('summary', {}, `Branches (${o.branches.length})`),
    tree,
  );
  let shown: string | undefined;
  const show = (id: string) => {
    const b = o.branches!.find((x) => x.id === id);
    box.querySelector('.branch-view')?.remove();
    for (const a of tree.querySelectorAll('.bnode.cur')) a.classList.remove('cur');
    if (!b || shown === id) {
      shown = undefined;
      return;
    }
    shown = id;
    tree.querySelector(`[data-branch-open="${CSS.escape(id)}"]`)?.classList.add('cur');
    box.append(branchDetail(run, index, b));
  };
  tree.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest<HTMLElement>('[data-branch-open]');
    if (!a) return;
    e.preventDefault();
    show(a.dataset.branchOpen!);
  });
  // The newest branch is the one just asked for: show it.
  const newest = o.branches[o.branches.length - 1]!;
  show(newest.id);
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
