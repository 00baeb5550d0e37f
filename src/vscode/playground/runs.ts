/**
 * Runs: one prompt against one to four targets, each column its own operation. Columns change in
 * the host and every page is told (`run`, `outcome`, `queue`, `history`), so the sidebar and an
 * editor panel show the same runs. The finished run goes to the history.
 */
import {
  targetLabel,
  type HostReply,
  type Outcome,
  type Params,
  type Prompt,
  type Run,
  type SharedState,
  type Target,
} from '../../shared/playground';
import type { Services } from '../services';
import type { PlaygroundCatalog } from './catalog';
import { toErrorInfo } from './convert';
import type { HistoryStore } from './history';
import { sampleTarget } from './sampler';
import type { PlaygroundTokenizers } from './tokenizers';

const RECENT_RUNS = 8;

export interface RunsDeps {
  services: Services;
  catalog: PlaygroundCatalog;
  tokenizers: PlaygroundTokenizers;
  history: HistoryStore;
  /** The history file has been read: writing before that would lose what it holds. */
  historyReady: Promise<void>;
  broadcast(msg: SharedState): void;
}

export class PlaygroundRuns {
  /** Newest first; what a page shows above the history. */
  readonly recent: Run[] = [];
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly deps: RunsDeps) {}

  get runningCount(): number {
    return this.running.size;
  }

  /** A run of this page or of the history, by id. */
  find(id: string): Run | undefined {
    return this.deps.history.get(id) ?? this.recent.find((r) => r.id === id);
  }

  cancel(runId: string): void {
    this.running.get(runId)?.abort();
  }

  dispose(): void {
    for (const c of this.running.values()) c.abort();
  }

  /** Puts a run at the top of every page (a new run, or one opened from the history). */
  show(run: Run): void {
    const i = this.recent.findIndex((r) => r.id === run.id);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.unshift(run);
    this.recent.length = Math.min(this.recent.length, RECENT_RUNS);
    this.deps.broadcast({ type: 'run', run });
  }

  /** Starts a run; a refusal goes to the page that asked (`reply`), not to every page. */
  async start(runId: string, targets: Target[], prompt: Prompt, params: Params, reply: (msg: HostReply) => void): Promise<void> {
    const { services, history, historyReady } = this.deps;
    if (this.running.has(runId) || this.recent.some((r) => r.id === runId)) {
      reply({ type: 'rejected', runId, message: 'That run was already started.' });
      return;
    }
    const controller = new AbortController();
    this.running.set(runId, controller);
    const run: Run = {
      id: runId,
      time: new Date().toISOString(),
      prompt,
      params,
      outcomes: targets.map((target) => ({ target, status: 'pending' as const })),
    };
    this.show(run);
    services.log.info(
      'playground',
      `run ${runId}: ${targets.map(targetLabel).join(' vs ')} (${prompt.mode}, max_tokens ${params.max_tokens}, ${params.num_samples} sample(s))`,
    );
    await historyReady;
    void history.put(run).catch((e) => services.log.error('playground', `history write failed: ${(e as Error).message}`));
    try {
      await Promise.all(targets.map((target, index) => this.runTarget(run, index, target, controller.signal)));
    } finally {
      this.running.delete(runId);
      await history.put(run).catch((e) => services.log.error('playground', `history write failed: ${(e as Error).message}`));
      this.deps.broadcast({ type: 'history', history: history.list() });
    }
  }

  private setOutcome(run: Run, index: number, outcome: Outcome): void {
    run.outcomes[index] = outcome;
    this.deps.broadcast({ type: 'outcome', runId: run.id, index, outcome });
  }

  /**
   * One column, start to end, whether it fails before a request (no server, no key) or inside one.
   * The presenter's Retry runs this again, so a retried column updates in place.
   */
  private async runTarget(run: Run, index: number, target: Target, signal: AbortSignal): Promise<void> {
    const { services, catalog, tokenizers } = this.deps;
    if (run.outcomes[index]?.status !== 'pending') this.setOutcome(run, index, { target, status: 'pending' });
    const result = await services.operations.attempt(
      `Sample ${targetLabel(target)}`,
      async ({ client }, t) => {
        if (!catalog.models.length) await catalog.load();
        return sampleTarget(client, t, {
          target,
          prompt: run.prompt,
          params: run.params,
          models: catalog.models,
          checkpoints: catalog.checkpoints,
          tokenizers,
          onQueue: (queue) => {
            const o = run.outcomes[index];
            if (o?.status === 'pending') o.queue = queue;
            this.deps.broadcast({ type: 'queue', runId: run.id, index, queue });
          },
        });
      },
      { signal, retry: () => this.runTarget(run, index, target, signal) },
    );
    if (result.kind === 'ok') this.setOutcome(run, index, result.value);
    else if (result.kind === 'cancelled' || signal.aborted) this.setOutcome(run, index, { target, status: 'cancelled' });
    else this.setOutcome(run, index, { target, status: 'failed', error: toErrorInfo(result.error) });
    // A retry after the run ended: keep the history in step with the column.
    if (!this.running.has(run.id)) {
      void this.deps.history.put(run).then(
        () => this.deps.broadcast({ type: 'history', history: this.deps.history.list() }),
        () => undefined,
      );
    }
  }
}
