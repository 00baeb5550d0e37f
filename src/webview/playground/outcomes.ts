/**
 * Outcome distributions for a fan-out: each sample's answer is extracted by a rule (the whole
 * text, the last number, the text after </think>, the last \boxed{…}, or a regex), equal answers
 * are grouped, and each group's share is shown per target with its 95 % Wilson interval, side by
 * side, so "checkpoint vs base: 62 % vs 31 % say X" is one glance. Clicking a bar shows that
 * group's samples. Pure functions first (the page tests and the bench use them), then the chart.
 */
import { shortTargetLabel, targetLabel, type Run } from '../../shared/playground';
import { escapeHtml, h } from './dom';

export type ExtractRule =
  { kind: 'exact' } | { kind: 'number' } | { kind: 'think' } | { kind: 'boxed' } | { kind: 'regex'; source: string };

export const RULE_LABELS: Record<ExtractRule['kind'], string> = {
  exact: 'whole answer',
  number: 'last number',
  think: 'text after </think>',
  boxed: 'boxed answer',
  regex: 'regex',
};

/** The key of the row that sums the groups beyond the chart's rows. */
export const OTHER_KEY = '\u0000other';

/** What a sample that the rule finds nothing in is grouped under. */
export const NO_MATCH = '(no match)';

const NUMBER = /[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?/g;

function lastBoxed(text: string): string | undefined {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return undefined;
  let depth = 0;
  for (let i = at + 7; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return text.slice(at + 7, i).trim();
      depth--;
    }
  }
  return undefined;
}

/** A regex rule's RegExp, or the reason it is not one. */
export function compileRule(source: string): RegExp | string {
  try {
    return new RegExp(source, 'm');
  } catch (e) {
    return (e as Error).message;
  }
}

/** One sample's answer under a rule: whitespace-normalised, or NO_MATCH. */
export function extract(text: string, rule: ExtractRule, re?: RegExp): string {
  const norm = (s: string | undefined) => {
    const t = s?.replace(/\s+/g, ' ').trim();
    return t ? t : NO_MATCH;
  };
  switch (rule.kind) {
    case 'exact':
      return norm(text);
    case 'think': {
      const at = text.lastIndexOf('</think>');
      return at < 0 ? NO_MATCH : norm(text.slice(at + 8));
    }
    case 'number': {
      const all = text.match(NUMBER);
      return all ? all[all.length - 1]!.replace(/,/g, '').replace(/^\+/, '') : NO_MATCH;
    }
    case 'boxed':
      return norm(lastBoxed(text));
    case 'regex': {
      const r = re ?? compileRule(rule.source);
      if (typeof r === 'string') return NO_MATCH;
      const m = r.exec(text);
      return m ? norm(m[1] ?? m[0]) : NO_MATCH;
    }
  }
}

export interface Group {
  key: string;
  /** Sample indices, in order. */
  samples: number[];
}

/** Equal answers grouped, most frequent first (ties: first seen first). */
export function groupAnswers(texts: readonly string[], rule: ExtractRule): Group[] {
  const re = rule.kind === 'regex' ? compileRule(rule.source) : undefined;
  const compiled = re instanceof RegExp ? re : undefined;
  const map = new Map<string, Group>();
  texts.forEach((t, i) => {
    const key = extract(t, rule, compiled);
    let g = map.get(key);
    if (!g) map.set(key, (g = { key, samples: [] }));
    g.samples.push(i);
  });
  return [...map.values()].sort((a, b) => b.samples.length - a.samples.length);
}

/** The 95 % Wilson score interval of k successes in n trials, as [low, high] shares. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 0];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`;
/** Groups beyond this many (by total count across targets) are summed into one "other" row. */
const MAX_ROWS = 12;

export interface DistributionCallbacks {
  /** A bar was clicked: show only these samples of that column (undefined: show all again). */
  focus(column: number, samples: number[] | undefined, key: string | undefined): void;
  ruleChanged(rule: ExtractRule): void;
}

/**
 * The distribution chart of one run: one row per answer group, one bar per target in the row,
 * each with its share, count and Wilson interval (drawn as a whisker). Built as one HTML string.
 */
export function distributionChart(run: Run, rule: ExtractRule, cb: DistributionCallbacks): HTMLElement | undefined {
  const cols = run.outcomes.map((o) => o.samples?.map((s) => s.text) ?? []);
  if (!cols.some((c) => c.length > 1)) return undefined;
  const perCol = cols.map((texts) => groupAnswers(texts, rule));
  const totals = new Map<string, number>();
  for (const groups of perCol) for (const g of groups) totals.set(g.key, (totals.get(g.key) ?? 0) + g.samples.length / 1);
  const keys = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  const shownKeys = keys.slice(0, MAX_ROWS);
  const other = keys.length > MAX_ROWS ? keys.slice(MAX_ROWS) : [];
  const rows: string[] = [];
  const rowFor = (label: string, keysIn: string[], rowKey: string) => {
    const bars = perCol
      .map((groups, c) => {
        const n = cols[c]!.length;
        if (!n) return `<div class="bar-line empty" data-bar-col="${c}"></div>`;
        const members = groups.filter((g) => keysIn.includes(g.key)).flatMap((g) => g.samples);
        const k = members.length;
        const [lo, hi] = wilson(k, n);
        const share = k / n;
        return (
          `<div class="bar-line" data-bar-col="${c}" data-key="${escapeHtml(rowKey)}" data-count="${k}" data-n="${n}" role="button" tabindex="0" ` +
          `title="${escapeHtml(`${shortTargetLabel(run.outcomes[c]!.target)}: ${k} of ${n} (${pct(share)}, 95% CI ${pct(lo)}–${pct(hi)})`)}">` +
          `<span class="bar-track"><span class="bar t${c}" style="width:${(share * 100).toFixed(2)}%"></span>` +
          `<span class="ci" style="left:${(lo * 100).toFixed(2)}%;width:${((hi - lo) * 100).toFixed(2)}%"></span></span>` +
          `<span class="bar-num" data-share>${pct(share)}</span><span class="bar-ci muted">${k}/${n} · ${pct(lo)}–${pct(hi)}</span></div>`
        );
      })
      .join('');
    rows.push(
      `<div class="dist-row"><div class="dist-key" title="${escapeHtml(label)}">${escapeHtml(label.length > 60 ? `${label.slice(0, 60)}…` : label)}</div>${bars}</div>`,
    );
  };
  for (const k of shownKeys) rowFor(k, [k], k);
  if (other.length) rowFor(`(${other.length} other answers)`, other, OTHER_KEY);

  const el = h('section', { className: 'distribution', 'data-distribution': '', 'aria-label': 'Outcome distribution' });
  const select = h('select', { 'data-rule': '', 'aria-label': 'Group answers by' }) as HTMLSelectElement;
  for (const [kind, label] of Object.entries(RULE_LABELS)) select.append(h('option', { value: kind }, label));
  select.value = rule.kind;
  const regex = h('input', {
    type: 'text',
    'data-rule-regex': '',
    placeholder: 'regex; group 1 is the answer',
    'aria-label': 'Extraction regex',
    hidden: rule.kind !== 'regex',
  }) as HTMLInputElement;
  regex.value = rule.kind === 'regex' ? rule.source : '';
  const problem = h('span', { className: 'err', 'data-rule-error': '' });
  if (rule.kind === 'regex') {
    const c = compileRule(rule.source);
    if (typeof c === 'string') problem.textContent = c;
  }
  select.addEventListener('change', () => {
    const kind = select.value as ExtractRule['kind'];
    cb.ruleChanged(kind === 'regex' ? { kind, source: regex.value || '(\\S+)$' } : { kind });
  });
  regex.addEventListener('change', () => cb.ruleChanged({ kind: 'regex', source: regex.value }));
  const legend = run.outcomes
    .map((o, c) => `<span class="dist-target"><span class="swatch t${c}"></span>${escapeHtml(shortTargetLabel(o.target))}</span>`)
    .join('');
  const head = h('div', { className: 'dist-head' }, h('b', {}, 'Outcomes'), ' grouped by ', select, regex, problem);
  const legendEl = h('div', { className: 'dist-legend muted' });
  legendEl.innerHTML = `${legend}<span>bars: share of samples · whisker: 95% Wilson interval · click a bar for its samples</span>`;
  const body = h('div', { className: `dist-body n${run.outcomes.length}` });
  body.innerHTML = rows.join('');
  const pick = (t: EventTarget | null) => {
    const line = (t as HTMLElement | null)?.closest?.('.bar-line[data-key]') as HTMLElement | null;
    if (!line) return;
    const c = Number(line.dataset.barCol);
    const key = line.dataset.key!;
    const groups = perCol[c]!;
    const members = key === OTHER_KEY ? groups.filter((g) => other.includes(g.key)) : groups.filter((g) => g.key === key);
    const was = line.classList.contains('picked');
    for (const p of body.querySelectorAll('.bar-line.picked'))
      if ((p as HTMLElement).dataset.barCol === String(c)) p.classList.remove('picked');
    if (was) return cb.focus(c, undefined, undefined);
    line.classList.add('picked');
    cb.focus(
      c,
      members.flatMap((g) => g.samples).sort((a, b) => a - b),
      key,
    );
  };
  body.addEventListener('click', (e) => pick(e.target));
  body.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      pick(e.target);
    }
  });
  el.append(head, legendEl, body);
  el.title = run.outcomes.map((o) => targetLabel(o.target)).join(' vs ');
  return el;
}
