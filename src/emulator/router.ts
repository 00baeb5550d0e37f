import type { IncomingHttpHeaders } from 'node:http';
import type { FutureFault } from './faults';
import { detail, type Reply } from './http';
import type { Scheme } from './paths';
import type { EmulatorCore } from './core';

/** What a handler sees of one request. */
export interface Ctx {
  method: string;
  /** Path with any --prefix removed, e.g. "/api/v1/asample". */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  params: string[];
  /** Path scheme for checkpoint paths in replies (tinker:// only for the Tinker SDK). */
  scheme: Scheme;
  /** A fault rule's instruction for the future this request creates, if any. */
  futureFault: FutureFault | undefined;
  /** Called when the client goes away, so a held long-poll can let go. */
  onClose(cb: () => void): void;
  core: EmulatorCore;
  /** The --prefix the API is served under ("" when none), for URLs that point back here. */
  basePath: string;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string | RegExp, handler: Handler): this {
    const pattern = typeof path === 'string' ? new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : path;
    this.routes.push({ method, pattern, handler });
    return this;
  }

  /** The handler and its captured path parts; 405 when only the method is wrong, as FastAPI does. */
  match(method: string, path: string): { handler: Handler; params: string[] } {
    let pathKnown = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (r.method === method) return { handler: r.handler, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    }
    if (pathKnown) throw detail(405, 'Method Not Allowed');
    throw detail(404, 'Not Found');
  }
}
