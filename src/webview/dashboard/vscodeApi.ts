import type { DashboardToHost } from '../../shared/dashboard';

interface VsCodeApi {
  postMessage(msg: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called once per page; every module posts through this one handle.
const api: VsCodeApi = acquireVsCodeApi();

export function post(msg: DashboardToHost): void {
  api.postMessage(msg);
}
