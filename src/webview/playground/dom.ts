/** Tiny DOM helpers: the playground builds its UI with plain elements, no framework. */

export { h } from '../common/dom';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For the one hot path that builds HTML as a string (the token view). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

let seq = 0;
/** Run ids come from the webview so a cancel can name a run before the host has answered. */
export function newRunId(): string {
  seq += 1;
  return `r${Date.now().toString(36)}${seq.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The vscode-elements inputs, as the form reads and sets them. */
export type ValueEl = HTMLElement & { value: string; invalid?: boolean; disabled?: boolean };
export type CheckEl = HTMLElement & { checked: boolean };
