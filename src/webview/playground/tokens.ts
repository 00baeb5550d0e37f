/**
 * The token view: every token a span coloured by its logprob, one shared tooltip for hover.
 * This is the hot path (4 samples x 1,000 tokens must render in <= 100 ms, 4 x 8,000 to the first
 * painted frame in <= 150 ms), so each view is built as HTML strings written with innerHTML, a
 * long one in slices (the first at once, the rest frame by frame), and hover is one delegated
 * listener per page.
 *
 * The heat scale is probability or surprisal (bits), set in the legend; the colours are one hue
 * in rising strength (readable with any colour vision), and the two least likely buckets are also
 * underlined, so the scale never rests on hue alone.
 */
import type { TokenView } from '../../shared/playground';
import { escapeHtml, h } from './dom';

const views = new WeakMap<HTMLElement, TokenView>();

/** Lower bounds of the probability buckets b0..b4 (b5 is below the last); the colours live in CSS. */
const BUCKET_FLOORS = [0.9, 0.5, 0.2, 0.05, 0.01];
/** Upper bounds, in bits of surprisal (-log2 p), of the buckets b0..b4 on the surprisal scale. */
const BIT_CEILINGS = [0.5, 1, 2.5, 4.5, 7];

export type HeatScale = 'probability' | 'surprisal';
let scale: HeatScale = 'probability';
export function heatScale(): HeatScale {
  return scale;
}
export function setHeatScale(s: HeatScale): void {
  scale = s;
}

export function bucketOf(logprob: number | null | undefined, on: HeatScale = scale): number {
  if (logprob === null || logprob === undefined) return -1;
  if (on === 'surprisal') {
    const bits = -logprob / Math.LN2;
    const b = BIT_CEILINGS.findIndex((c) => bits < c);
    return b < 0 ? BIT_CEILINGS.length : b;
  }
  const p = Math.exp(logprob);
  const b = BUCKET_FLOORS.findIndex((floor) => p >= floor);
  return b < 0 ? BUCKET_FLOORS.length : b;
}

/** A token's rank among the alternatives listed for its position (1 = the most likely), or undefined when it is not listed. */
export function rankOf(view: TokenView, i: number): number | undefined {
  const alts = view.topk?.[i];
  if (!alts) return undefined;
  const at = alts.findIndex(([id]) => id === view.ids[i]);
  return at < 0 ? undefined : at + 1;
}

/** Where a token view sits: which run, column and sample (or branch) it shows, for the token menu. */
export interface TokenRef {
  runId: string;
  index: number;
  sample: number;
  branch?: string;
}
const refs = new WeakMap<HTMLElement, TokenRef>();

/**
 * The key to the colours, built from the same bounds `bucketOf` uses so the two cannot disagree,
 * and what hovering shows (top-k alternatives exist only for prompt tokens: the sampler returns
 * them for the prompt, never for generated tokens).
 */
export function logprobLegend(onScale?: (s: HeatScale) => void): HTMLElement {
  const pct = (p: number) => `${p * 100}%`;
  const labels =
    scale === 'surprisal'
      ? [...BIT_CEILINGS.map((c, b) => (b === 0 ? `< ${c} bits` : `${BIT_CEILINGS[b - 1]}–${c} bits`)), `≥ ${BIT_CEILINGS.at(-1)} bits`]
      : [
          ...BUCKET_FLOORS.map((floor, b) => (b === 0 ? `≥ ${pct(floor)}` : `${pct(floor)}–${pct(BUCKET_FLOORS[b - 1]!)}`)),
          `< ${pct(BUCKET_FLOORS.at(-1)!)}`,
        ];
  const items = labels.map((text, b) => h('span', { className: 'lp-key' }, h('span', { className: `tk b${b}` }, text)));
  const toggle = h(
    'a',
    { href: '#', 'data-action': 'heat-scale', 'aria-label': 'Switch the heat scale' },
    scale === 'surprisal' ? 'show probability' : 'show surprisal',
  );
  toggle.addEventListener('click', (e) => {
    e.preventDefault();
    onScale?.(scale === 'surprisal' ? 'probability' : 'surprisal');
  });
  return h(
    'div',
    { className: 'lp-legend', 'data-legend': scale, role: 'note' },
    h('span', { className: 'muted' }, scale === 'surprisal' ? 'Token surprisal:' : 'Token probability:'),
    ...items,
    toggle,
    h(
      'div',
      { className: 'muted' },
      'Hover a token (or focus and use the arrow keys) for its id, logprob and alternatives; click a generated token (or press Enter) to branch from it with another token.',
    ),
  );
}

function shown(piece: string): string {
  // Make layout-only characters visible without changing what a copy of the text gives.
  return escapeHtml(piece).replace(/\n/g, '↵\n').replace(/\t/g, '→\t');
}

/** Tokens written at once; a longer view gets the rest in slices of SLICE, one per frame, so the first frame comes fast. */
const FIRST_SLICE = 2_000;
const SLICE = 4_000;

/** After the next frame is painted: a slice written then lands in a later frame, never in the one being waited for. */
function afterPaint(fn: () => void): void {
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(fn, 0)));
}

function spans(view: TokenView, from: number, to: number, marks?: TokenMarks): string {
  const parts: string[] = new Array(to - from);
  const lps = view.logprobs;
  for (let i = from; i < to; i++) {
    const piece = view.pieces[i] ?? '';
    const b = bucketOf(lps?.[i]);
    let cls = b < 0 ? 'tk' : `tk b${b}`;
    if (marks) {
      if (i < marks.kept) cls += ' kept';
      else if (i < marks.kept + marks.forced) cls += ' forced';
    }
    parts[i - from] =
      piece === '' ? `<span class="${cls} part" data-i="${i}"></span>` : `<span class="${cls}" data-i="${i}">${shown(piece)}</span>`;
  }
  return parts.join('');
}

/** A branch's view marks the kept prefix and the chosen token. */
export interface TokenMarks {
  kept: number;
  forced: number;
}

export function tokenView(view: TokenView, label: string, ref?: TokenRef, marks?: TokenMarks): HTMLElement {
  const el = h('div', { className: 'tokens', role: 'group', tabindex: 0, 'aria-label': `${label}; arrow keys step through the tokens` });
  const n = view.ids.length;
  el.innerHTML = spans(view, 0, Math.min(n, FIRST_SLICE), marks);
  if (n > FIRST_SLICE) {
    el.dataset.rendering = '';
    let from = FIRST_SLICE;
    const more = () => {
      if (!el.isConnected && from > FIRST_SLICE) return;
      const to = Math.min(n, from + SLICE);
      el.insertAdjacentHTML('beforeend', spans(view, from, to, marks));
      from = to;
      if (from < n) afterPaint(more);
      else delete el.dataset.rendering;
    };
    afterPaint(more);
  }
  views.set(el, view);
  if (ref) {
    refs.set(el, ref);
    el.classList.add('generated');
  }
  return el;
}

let tip: HTMLElement | undefined;

function fmtLp(lp: number | null | undefined): string {
  if (lp === null || lp === undefined) return 'n/a';
  return `${lp.toFixed(3)} (p=${(Math.exp(lp) * 100).toFixed(Math.exp(lp) < 0.001 ? 3 : 1)}%)`;
}

function describe(view: TokenView, i: number): HTMLElement {
  const piece = view.pieces[i] ?? '';
  const rows: HTMLElement[] = [
    h('div', {}, h('b', { text: 'token ' }), String(view.ids[i])),
    h('div', {}, h('b', { text: 'text ' }), piece === '' ? '(part of a character the next token completes)' : JSON.stringify(piece)),
    h('div', {}, h('b', { text: 'logprob ' }), fmtLp(view.logprobs?.[i])),
  ];
  const lp = view.logprobs?.[i];
  if (lp !== null && lp !== undefined) rows.push(h('div', {}, h('b', { text: 'surprisal ' }), `${(-lp / Math.LN2).toFixed(2)} bits`));
  const alts = view.topk?.[i];
  if (alts && alts.length) {
    const rank = rankOf(view, i);
    rows.push(
      h(
        'div',
        { 'data-rank': rank ?? 0 },
        h('b', { text: 'rank ' }),
        rank ? `${rank} of the top ${alts.length}` : `not in the top ${alts.length}`,
      ),
    );
  }
  if (alts && alts.length) {
    const list = h('ol', { className: 'alts' });
    for (const [id, text, lp] of alts) list.append(h('li', {}, `${JSON.stringify(text)} #${id} ${fmtLp(lp)}`));
    rows.push(h('div', {}, h('b', { text: `top-${alts.length}` }), list));
  }
  return h('div', {}, ...rows);
}

/** One listener for every token view on the page, however many tokens there are. */
export function installTokenTooltip(root: HTMLElement): void {
  tip = h('div', { className: 'tip', role: 'tooltip', hidden: true });
  document.body.append(tip);
  const show = (target: EventTarget | null) => {
    const span = (target as HTMLElement | null)?.closest?.('.tk') as HTMLElement | null;
    const host = span?.parentElement;
    const view = host ? views.get(host) : undefined;
    if (!span || !view || !tip) return hide();
    tip.replaceChildren(describe(view, Number(span.dataset.i)));
    tip.hidden = false;
    const r = span.getBoundingClientRect();
    const top = r.bottom + 4 + tip.offsetHeight > window.innerHeight ? r.top - tip.offsetHeight - 4 : r.bottom + 4;
    tip.style.top = `${Math.max(0, top) + window.scrollY}px`;
    tip.style.left = `${Math.max(0, Math.min(r.left, window.innerWidth - tip.offsetWidth - 4)) + window.scrollX}px`;
  };
  const hide = () => {
    if (tip) tip.hidden = true;
  };
  root.addEventListener('mouseover', (e) => show(e.target));
  root.addEventListener('mouseleave', hide);
  // Keyboard users get the same details: focus a token view, then step with the arrow keys.
  root.addEventListener('keydown', (e) => {
    const host = e.target as HTMLElement;
    if (!host.classList?.contains('tokens') || !views.has(host)) return;
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'Escape' ? 0 : undefined;
    if (step === undefined) return;
    e.preventDefault();
    const cur = host.querySelector<HTMLElement>('.tk.cur');
    cur?.classList.remove('cur');
    if (step === 0) return hide();
    const n = views.get(host)!.ids.length;
    const next = cur ? Math.min(n - 1, Math.max(0, Number(cur.dataset.i) + step)) : 0;
    const span = host.querySelector<HTMLElement>(`.tk[data-i="${next}"]`);
    if (!span) return;
    span.classList.add('cur');
    show(span);
  });
  root.addEventListener('focusout', (e) => {
    (e.target as HTMLElement).querySelector?.('.tk.cur')?.classList.remove('cur');
    hide();
  });
}

export interface TokenMenuActions {
  branch(ref: TokenRef, at: number, token: { id: number } | { text: string }): void;
  alternatives(ref: TokenRef): void;
}

let menu: HTMLElement | undefined;

/**
 * Click a generated token (or press Enter on it): a small menu with its alternatives, each one
 * a branch ("continue from here with this token instead"), a field to type another token, and,
 * when the alternatives are not known yet, the scoring request that fetches them.
 */
export function installTokenMenu(root: HTMLElement, actions: TokenMenuActions): void {
  menu = h('div', { className: 'tk-menu', role: 'dialog', 'aria-label': 'Branch from this token', hidden: true });
  document.body.append(menu);
  const close = () => {
    if (menu) menu.hidden = true;
  };
  const open = (span: HTMLElement) => {
    const host = span.parentElement;
    const view = host ? views.get(host) : undefined;
    const ref = host ? refs.get(host) : undefined;
    if (!view || !ref || !menu) return;
    const i = Number(span.dataset.i);
    const piece = view.pieces[i] ?? '';
    const alts = view.topk?.[i];
    const rank = rankOf(view, i);
    const body: HTMLElement[] = [
      h(
        'div',
        { className: 'tk-menu-head' },
        h('b', {}, `Token ${i + 1}: ${JSON.stringify(piece)}`),
        h(
          'span',
          { className: 'muted' },
          ` ${fmtLp(view.logprobs?.[i])}${alts ? ` · ${rank ? `rank ${rank}` : 'not in'} of top ${alts.length}` : ''}`,
        ),
      ),
    ];
    if (alts?.length) {
      const list = h('div', { className: 'tk-alts' }, h('div', { className: 'muted' }, 'Continue from here with:'));
      for (const [id, text, lp] of alts) {
        if (id === view.ids[i]) continue;
        const b = h('button', { type: 'button', 'data-alt': id }, `${JSON.stringify(text)} ${(Math.exp(lp) * 100).toFixed(1)}%`);
        b.addEventListener('click', () => {
          close();
          actions.branch(ref, i, { id });
        });
        list.append(b);
      }
      body.push(list);
    } else {
      const load = h('button', { type: 'button', 'data-action': 'load-alternatives' }, 'Show alternatives (one scoring request)');
      load.addEventListener('click', () => {
        close();
        actions.alternatives(ref);
      });
      body.push(load);
    }
    const input = h('input', {
      type: 'text',
      'data-branch-text': '',
      placeholder: 'or type a token',
      'aria-label': 'Token to continue with',
    });
    const go = h('button', { type: 'button', 'data-action': 'branch-text' }, 'Continue');
    const submit = () => {
      if (!input.value) return;
      close();
      actions.branch(ref, i, { text: input.value });
    };
    go.addEventListener('click', submit);
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') submit();
      if (e.key === 'Escape') close();
    });
    body.push(h('div', { className: 'tk-type' }, input, go));
    menu.replaceChildren(...body);
    menu.dataset.at = String(i);
    menu.hidden = false;
    if (tip) tip.hidden = true;
    const r = span.getBoundingClientRect();
    menu.style.top = `${r.bottom + 4 + window.scrollY}px`;
    menu.style.left = `${Math.max(0, Math.min(r.left, window.innerWidth - menu.offsetWidth - 4)) + window.scrollX}px`;
  };
  root.addEventListener('click', (e) => {
    const span = (e.target as HTMLElement | null)?.closest?.('.tokens.generated .tk') as HTMLElement | null;
    if (span) open(span);
  });
  root.addEventListener('keydown', (e) => {
    const host = e.target as HTMLElement;
    if (e.key !== 'Enter' || !host.classList?.contains('generated')) return;
    const cur = host.querySelector<HTMLElement>('.tk.cur');
    if (!cur) return;
    e.preventDefault();
    open(cur);
  });
  document.addEventListener('mousedown', (e) => {
    if (menu && !menu.hidden && !menu.contains(e.target as Node) && !(e.target as HTMLElement).closest?.('.tokens.generated')) close();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
}
