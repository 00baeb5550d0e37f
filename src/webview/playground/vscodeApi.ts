import type { WebviewToHost } from '../../shared/playground';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState?(): unknown;
  setState?(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called once per page; every module posts through this one handle.
const api: VsCodeApi = acquireVsCodeApi();

export function post(msg: WebviewToHost): void {
  api.postMessage(msg);
}

/** This page's own view preferences (not the form: the host keeps that), across a reload of the page. */
export function restoreState(): Record<string, unknown> | undefined {
  const s = api.getState?.();
  return s && typeof s === 'object' ? (s as Record<string, unknown>) : undefined;
}

export function saveState(patch: Record<string, unknown>): void {
  api.setState?.({ ...(restoreState() ?? {}), ...patch });
}
