/**
 * A chart as a file. PNG: uPlot's canvas (plot, axes, checkpoint lines) on the theme's background,
 * with the key as a title and the legend drawn under it. SVG: uPlot has no SVG output, so it is
 * built here from the plotted data and the chart's current scales: a polyline per series (thinned
 * to at most four points per pixel column, which draws the same), axes with ticks and labels,
 * checkpoint lines and a legend.
 */
import { fmtNum } from './dom';
import { withAlpha, xFormatter, xLabel, type ChartCell, type Theme } from './charts';
import { logTicks, niceTicks, type Aligned } from './series';
import type { Settings } from '../../shared/dashboard';

const TITLE_H = 22;
const LEGEND_ROW_H = 16;

export function chartPng(cell: ChartCell, theme: Theme): string {
  const u = cell.u;
  if (!u) throw new Error('The chart is not drawn yet.');
  const src = u.ctx.canvas;
  const ratio = src.width / Math.max(1, u.width);
  const legendH = cell.runs.length * LEGEND_ROW_H + 6;
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = Math.round(src.height + (TITLE_H + legendH) * ratio);
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('This page cannot draw on a canvas.');
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.scale(ratio, ratio);
  ctx.fillStyle = theme.fg;
  ctx.font = `600 12px ${theme.fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(cell.key, 8, TITLE_H / 2);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(src, 0, Math.round(TITLE_H * ratio));
  ctx.scale(ratio, ratio);
  ctx.font = theme.font;
  const top = TITLE_H + src.height / ratio + 4;
  cell.runs.forEach((r, i) => {
    const y = top + i * LEGEND_ROW_H + LEGEND_ROW_H / 2;
    ctx.fillStyle = r.color;
    ctx.fillRect(8, y - 2, 14, 4);
    ctx.fillStyle = theme.fg;
    ctx.fillText(r.name, 28, y);
  });
  return out.toDataURL('image/png');
}

const XML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESC[c]!);
}
function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * Polyline segments of one series in plot-area pixels: a gap (null) starts a new segment, a
 * missing row (undefined) is stepped over. Points falling in one pixel column keep only the first,
 * lowest, highest and last, so a 100,000-point series stays a few thousand points.
 */
function segments(xs: number[], col: Aligned[], px: (v: number) => number, py: (v: number) => number, x0: number, x1: number): string[] {
  const out: string[] = [];
  let pts: number[] = [];
  let colX = NaN;
  let bucket: Array<[number, number]> = [];
  const flushBucket = () => {
    if (bucket.length === 0) return;
    if (bucket.length <= 4) for (const [x, y] of bucket) pts.push(x, y);
    else {
      let lo = 0;
      let hi = 0;
      for (let i = 1; i < bucket.length; i++) {
        if (bucket[i]![1] < bucket[lo]![1]) lo = i;
        if (bucket[i]![1] > bucket[hi]![1]) hi = i;
      }
      const keep = [...new Set([0, Math.min(lo, hi), Math.max(lo, hi), bucket.length - 1])];
      for (const i of keep) pts.push(bucket[i]![0], bucket[i]![1]);
    }
    bucket = [];
  };
  const endSegment = () => {
    flushBucket();
    if (pts.length >= 4) {
      let s = '';
      for (let i = 0; i < pts.length; i += 2) s += `${i ? ' ' : ''}${n(pts[i]!)},${n(pts[i + 1]!)}`;
      out.push(s);
    } else if (pts.length === 2) out.push(`${n(pts[0]!)},${n(pts[1]!)} ${n(pts[0]!)},${n(pts[1]!)}`);
    pts = [];
    colX = NaN;
  };
  for (let i = 0; i < xs.length; i++) {
    const v = col[i];
    if (v === undefined) continue;
    const xv = xs[i]!;
    if (xv < x0 || xv > x1) continue;
    if (v === null || !Number.isFinite(v)) {
      endSegment();
      continue;
    }
    const x = px(xv);
    const y = py(v);
    if (!Number.isFinite(y)) {
      endSegment();
      continue;
    }
    const c = Math.floor(x);
    if (c !== colX) {
      flushBucket();
      colX = c;
    }
    bucket.push([x, y]);
  }
  endSegment();
  return out;
}

export function chartSvg(
  cell: ChartCell,
  theme: Theme,
  settings: Settings,
  checkpoints: (runId: string) => ReadonlyArray<{ name: string; step: number; sampler_path?: string }>,
): string {
  const u = cell.u;
  if (!u) throw new Error('The chart is not drawn yet.');
  const ratio = u.ctx.canvas.width / Math.max(1, u.width);
  const plot = { left: u.bbox.left / ratio, top: u.bbox.top / ratio, width: u.bbox.width / ratio, height: u.bbox.height / ratio };
  const W = u.width;
  const legendH = cell.runs.length * LEGEND_ROW_H + 6;
  const H = TITLE_H + u.height + legendH;
  const oy = TITLE_H;
  const sx = u.scales.x;
  const sy = u.scales.y;
  const x0 = sx.min ?? 0;
  const x1 = sx.max ?? 1;
  const y0 = sy.min ?? 0;
  const y1 = sy.max ?? 1;
  const log = settings.logScale;
  const px = (v: number) => plot.left + u.valToPos(v, 'x');
  const py = (v: number) => oy + plot.top + u.valToPos(v, 'y');
  const fmtX = xFormatter(settings.xKey);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(theme.fontFamily)}" font-size="11">`,
    `<title>${esc(cell.key)}</title>`,
    `<rect width="${W}" height="${H}" fill="${esc(theme.bg)}"/>`,
    `<text x="8" y="${TITLE_H / 2 + 4}" font-size="12" font-weight="600" fill="${esc(theme.fg)}">${esc(cell.key)}</text>`,
    `<defs><clipPath id="plot"><rect x="${n(plot.left)}" y="${n(oy + plot.top)}" width="${n(plot.width)}" height="${n(plot.height)}"/></clipPath></defs>`,
  );
  // Axes: grid lines, ticks and labels.
  const axes: string[] = [`<g class="axes" stroke="${esc(theme.grid)}" stroke-width="1" fill="${esc(theme.fg)}">`];
  for (const t of niceTicks(x0, x1, Math.max(2, Math.round(plot.width / 90)))) {
    const x = n(px(t));
    axes.push(`<line x1="${x}" y1="${n(oy + plot.top)}" x2="${x}" y2="${n(oy + plot.top + plot.height + 4)}"/>`);
    axes.push(`<text x="${x}" y="${n(oy + plot.top + plot.height + 16)}" text-anchor="middle" stroke="none">${esc(fmtX(t))}</text>`);
  }
  const yTicks = log ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.round(plot.height / 40)));
  for (const t of yTicks) {
    const y = n(py(t));
    axes.push(`<line x1="${n(plot.left - 4)}" y1="${y}" x2="${n(plot.left + plot.width)}" y2="${y}"/>`);
    axes.push(`<text x="${n(plot.left - 6)}" y="${y}" dy="0.35em" text-anchor="end" stroke="none">${esc(fmtNum(t))}</text>`);
  }
  axes.push(
    `<rect x="${n(plot.left)}" y="${n(oy + plot.top)}" width="${n(plot.width)}" height="${n(plot.height)}" fill="none"/>`,
    `<text x="${n(plot.left + plot.width)}" y="${n(oy + u.height - 2)}" text-anchor="end" stroke="none" fill="${esc(theme.muted)}">${esc(xLabel(settings.xKey))}${log ? ' · log y' : ''}</text>`,
    '</g>',
  );
  parts.push(...axes);
  // Checkpoints, as on the chart.
  if (settings.xKey === 'step') {
    const lines: string[] = [];
    for (const r of cell.runs) {
      for (const cp of checkpoints(r.id)) {
        if (cp.step < x0 || cp.step > x1) continue;
        const x = n(px(cp.step));
        lines.push(
          `<line x1="${x}" y1="${n(oy + plot.top)}" x2="${x}" y2="${n(oy + plot.top + plot.height)}" stroke="${esc(withAlpha(r.color, 0.75))}" stroke-dasharray="${cp.sampler_path ? '4 3' : '1 3'}"><title>${esc(`${cp.name} (step ${cp.step})`)}</title></line>`,
        );
      }
    }
    if (lines.length) parts.push('<g class="checkpoints">', ...lines, '</g>');
  }
  // Series: raw (faint when smoothed) and smoothed, per run, in the chart's order.
  parts.push('<g clip-path="url(#plot)" fill="none" stroke-linejoin="round">');
  for (let s = 1; s < u.series.length; s++) {
    const ser = u.series[s]!;
    if (!ser.show) continue;
    const r = cell.runs[Math.floor((s - 1) / 2)]!;
    const smoothed = (s - 1) % 2 === 1;
    const stroke = smoothed || settings.ema === 0 ? r.color : withAlpha(r.color, 0.28);
    const segs = segments(cell.px, cell.cols[s - 1]!, px, py, x0, x1);
    parts.push(
      `<g data-series="${esc(String(ser.label ?? ''))}" stroke="${esc(stroke)}" stroke-width="${smoothed ? 1.5 : 1}">`,
      ...segs.map((p) => `<polyline points="${p}"/>`),
      '</g>',
    );
  }
  parts.push('</g>');
  // Legend.
  const top = TITLE_H + u.height + 4;
  parts.push(`<g class="legend" fill="${esc(theme.fg)}">`);
  cell.runs.forEach((r, i) => {
    const y = top + i * LEGEND_ROW_H + LEGEND_ROW_H / 2;
    parts.push(
      `<rect x="8" y="${n(y - 2)}" width="14" height="4" fill="${esc(r.color)}"/>`,
      `<text x="28" y="${n(y)}" dy="0.35em">${esc(r.name)}</text>`,
    );
  });
  parts.push('</g>', '</svg>');
  return parts.join('\n');
}
