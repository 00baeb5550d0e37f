/**
 * The token view: every token a span coloured by its logprob, one shared tooltip for hover.
 * This is the hot path (4 samples x 1,000 tokens must render in <= 100 ms), so each view is built
 * as one HTML string and one innerHTML write, and hover is one delegated listener per page.
 */
import type { TokenView } from '../../shared/playground';
import { escapeHtml, h } from './dom';

const views = new WeakMap<HTMLElement, TokenView>();

/** Lower bounds of the probability buckets b0..b4 (b5 is below the last); the colours live in CSS (theme variables only). */
const BUCKET_FLOORS = [0.9, 0.5, 0.2, 0.05, 0.01];

export function bucketOf(logprob: number | null | undefined): number {
  if (logprob === null || logprob === undefined) return -1;
  const p = Math.exp(logprob);
  const b = BUCKET_FLOORS.findIndex((floor) => p >= floor);
  return b < 0 ? BUCKET_FLOORS.length : b;
}

/**
 * The key to the colours, built from the same bounds `bucketOf` uses so the two cannot disagree,
 * and what hovering shows (top-k alternatives exist only for prompt tokens: the sampler returns
 * them for the prompt, never for generated tokens).
 */
export function logprobLegend(): HTMLElement {
  const pct = (p: number) => `${p * 100}%`;
  const items = BUCKET_FLOORS.map((floor, b) =>
    h(
      'span',
      { className: 'lp-key' },
      h('span', { className: `tk b${b}` }, b === 0 ? `≥ ${pct(floor)}` : `${pct(floor)}–${pct(BUCKET_FLOORS[b - 1]!)}`),
    ),
  );
  items.push(
    h('span', { className: 'lp-key' }, h('span', { className: `tk b${BUCKET_FLOORS.length}` }, `< ${pct(BUCKET_FLOORS.at(-1)!)}`)),
  );
  return h(
    'div',
    { className: 'lp-legend', 'data-legend': '', role: 'note' },
    h('span', { className: 'muted' }, 'Token probability:'),
    ...items,
    h(
      'div',
      { className: 'muted' },
      'Hover a token (or focus and use the arrow keys) for its id and logprob; prompt tokens also list the top-k alternatives when Top-k prompt logprobs is above 0.',
    ),
  );
}

function shown(piece: string): string {
  // Make layout-only characters visible without changing what a copy of the text gives.
  return escapeHtml(piece).replace(/\n/g, '↵\n').replace(/\t/g, '→\t');
}

export function tokenView(view: TokenView, label: string): HTMLElement {
  const el = h('div', { className: 'tokens', role: 'group', tabindex: 0, 'aria-label': `${label}; arrow keys step through the tokens` });
  const parts: string[] = new Array(view.ids.length);
  const lps = view.logprobs;
  for (let i = 0; i < view.ids.length; i++) {
    const piece = view.pieces[i] ?? '';
    const b = bucketOf(lps?.[i]);
    const cls = b < 0 ? 'tk' : `tk b${b}`;
    parts[i] =
      piece === '' ? `<span class="${cls} part" data-i="${i}"></span>` : `<span class="${cls}" data-i="${i}">${shown(piece)}</span>`;
  }
  el.innerHTML = parts.join('');
  views.set(el, view);
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
  const alts = view.topk?.[i];
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
