/**
 * Runs: one prompt against one to four targets, each column its own operation. Columns change in
 * the host and every page is told (`run`, `outcome`, `queue`, `history`), so the sidebar and an
 * editor panel show the same runs. The finished run goes to the history.
 */
import {
  targetLabel,
  type Branch,
  type HostReply,
  type WebviewToHost,
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
import { branchSample, scoreCompletion } from './instrument';
import { addAlternatives, prepareNative, sampleTarget } from './sampler';
import type { PlaygroundTokenizers } from './tokenizers';

const RECENT_RUNS = 8;
/** The protocol's bound on one column's branch tree (OutcomeSchema). */
const MAX_BRANCHES = 5000;

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
  async start(
    runId: string,
    targets: Target[],
    prompt: Prompt,
    params: Params,
    reply: (msg: HostReply) => void,
    completion?: string,
  ): Promise<void> {
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
      ...(completion !== undefined ? { completion } : {}),
    };
    this.show(run);
    services.log.info(
      'playground',
      completion !== undefined
        ? `score ${runId}: a ${completion.length}-character completion under ${targets.map(targetLabel).join(' vs ')}`
        : `run ${runId}: ${targets.map(targetLabel).join(' vs ')} (${prompt.mode}, max_tokens ${params.max_tokens}, ${params.num_samples} sample(s))`,
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
      `${run.completion !== undefined ? 'Score under' : 'Sample'} ${targetLabel(target)}`,
      async ({ client }, t) => {
        if (!catalog.models.length) await catalog.load();
        if (run.completion !== undefined) {
          return scoreCompletion(
            client,
            t,
            { target, prompt: run.prompt, params: run.params, models: catalog.models, checkpoints: catalog.checkpoints, tokenizers },
            run.completion,
          );
        }
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

  /** Saves a run that changed after it ended (alternatives, branches) and tells every page. */
  private changed(run: Run, index: number): void {
    const outcome = run.outcomes[index];
    if (outcome) this.deps.broadcast({ type: 'outcome', runId: run.id, index, outcome });
    void this.deps.history.put(run).then(
      () => this.deps.broadcast({ type: 'history', history: this.deps.history.list() }),
      (e: Error) => this.deps.services.log.error('playground', `history write failed: ${e.message}`),
    );
  }

  private job(run: Run, index: number) {
    const { catalog, tokenizers } = this.deps;
    return {
      target: run.outcomes[index]!.target,
      prompt: run.prompt,
      params: run.params,
      models: catalog.models,
      checkpoints: catalog.checkpoints,
      tokenizers,
    };
  }

  /** A run shown in a page, with its column; undefined (and the page told) when it is gone. */
  private locate(runId: string, index: number, reply: (msg: HostReply) => void): Run | undefined {
    const run = this.recent.find((r) => r.id === runId) ?? this.deps.history.get(runId);
    if (!run?.outcomes[index]) {
      reply({ type: 'notice', level: 'warning', message: 'That run is no longer in the history.' });
      return undefined;
    }
    return run;
  }

  /** Top-k alternatives for a sample's (or a branch's) generated tokens: one scoring request. */
  async alternatives(m: Extract<WebviewToHost, { type: 'alternatives' }>, reply: (msg: HostReply) => void): Promise<void> {
    const run = this.locate(m.runId, m.index, reply);
    if (!run) return;
    const o = run.outcomes[m.index]!;
    const sample = m.branch ? o.branches?.find((b) => b.id === m.branch)?.sample : o.samples?.[m.sample];
    if (!sample?.tokens) {
      reply({ type: 'notice', level: 'warning', message: 'That sample has no tokens to score (text mode).' });
      return;
    }
    const result = await this.deps.services.operations.attempt(`Score alternatives for ${targetLabel(o.target)}`, async ({ client }, t) => {
      if (!this.deps.catalog.models.length) await this.deps.catalog.load();
      const prep = await prepareNative(client, t, this.job(run, m.index), sample.tokens!.ids.length + 1);
      if (!('native' in prep)) throw new Error('inline' in prep ? prep.inline.error?.message : prep.text.problem);
      await addAlternatives(prep.native, t, sample, m.k);
    });
    if (result.kind === 'ok') {
      this.deps.services.log.info(
        'playground',
        `alternatives for run ${run.id}, ${targetLabel(o.target)} sample ${m.sample + 1}${m.branch ? ` branch ${m.branch}` : ''}: scoring request ${sample.score_request_id} (${sample.tokens.ids.length} generated tokens, top-${m.k})`,
      );
      this.changed(run, m.index);
    } else if (result.kind === 'failed') reply({ type: 'notice', level: 'error', message: `Alternatives: ${result.error.message}` });
  }

  /** Continues a sample (or a branch) from token `at` with another token, as a new branch of that sample. */
  async branch(m: Extract<WebviewToHost, { type: 'branch' }>, reply: (msg: HostReply) => void): Promise<void> {
    const run = this.locate(m.runId, m.index, reply);
    if (!run) return;
    const o = run.outcomes[m.index]!;
    const parentBranch = m.parent ? o.branches?.find((b) => b.id === m.parent) : undefined;
    const parent = m.parent ? parentBranch?.sample?.tokens : o.samples?.[m.sample]?.tokens;
    if (!parent || m.at >= parent.ids.length || (m.parent && !parentBranch)) {
      reply({ type: 'notice', level: 'warning', message: 'Branch from a token of a sample that has tokens.' });
      return;
    }
    if ((o.branches?.length ?? 0) >= MAX_BRANCHES) {
      reply({ type: 'rejected', message: `A column keeps at most ${MAX_BRANCHES} branches: start a new run to branch further.` });
      return;
    }
    if (o.branches?.some((b) => b.id === m.branchId)) {
      reply({ type: 'rejected', message: 'That branch was already started.' });
      return;
    }
    const branch: Branch = {
      id: m.branchId,
      from: m.sample,
      ...(m.parent ? { parent: m.parent } : {}),
      at: m.at,
      token:
        'id' in m.token
          ? [m.token.id, parent.topk?.[m.at]?.find(([id]) => id === (m.token as { id: number }).id)?.[1] ?? '']
          : [-1, m.token.text],
      status: 'pending',
    };
    (o.branches ??= []).push(branch);
    this.deps.broadcast({ type: 'outcome', runId: run.id, index: m.index, outcome: o });
    // A pending branch is cancelled by its id, as a run is (the page's tree offers Cancel).
    const controller = new AbortController();
    this.running.set(branch.id, controller);
    const result = await this.deps.services.operations
      .attempt(
        `Branch ${targetLabel(o.target)}`,
        async ({ client }, t) => {
          if (!this.deps.catalog.models.length) await this.deps.catalog.load();
          return branchSample(client, t, this.job(run, m.index), { parent, at: m.at, token: m.token });
        },
        { signal: controller.signal },
      )
      .finally(() => this.running.delete(branch.id));
    if (result.kind === 'ok' && 'sample' in result.value) {
      Object.assign(branch, {
        status: 'done',
        sample: result.value.sample,
        token: result.value.forced,
        forced: result.value.count,
        request_id: result.value.request_id,
      });
    } else if (result.kind === 'ok' && 'error' in result.value) {
      Object.assign(branch, { status: 'failed', error: { kind: 'BranchError', message: result.value.error, inline: true } });
    } else if (result.kind === 'failed' && !controller.signal.aborted)
      Object.assign(branch, { status: 'failed', error: toErrorInfo(result.error) });
    else branch.status = 'cancelled';
    this.changed(run, m.index);
  }
}
