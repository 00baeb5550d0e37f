/** Tiny DOM helpers: the dashboard builds its UI with plain elements, no framework. */

export { h } from '../common/dom';

/** A number as charts and tables show it: 4 significant digits, exponent form when very large or small. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, 'e');
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** Seconds as a duration axis label: 45s, 12m, 1h05m, 2d3h. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '—';
  const sign = s < 0 ? '-' : '';
  let t = Math.abs(s);
  if (t < 60) return `${sign}${fmtNum(Math.round(t * 10) / 10)}s`;
  t = Math.round(t);
  const d = Math.floor(t / 86400);
  const hh = Math.floor((t % 86400) / 3600);
  const mm = Math.floor((t % 3600) / 60);
  const ss = t % 60;
  if (d > 0) return `${sign}${d}d${hh}h`;
  if (hh > 0) return `${sign}${hh}h${String(mm).padStart(2, '0')}m`;
  return ss === 0 ? `${sign}${mm}m` : `${sign}${mm}m${String(ss).padStart(2, '0')}s`;
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A CSS custom property of the page (VS Code's theme variables), or the fallback. */
export function themeVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}
