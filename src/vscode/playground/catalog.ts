/**
 * What the playground can sample: the server's base models (with their context lengths) and the
 * sampler checkpoints of the latest training runs. Loaded on demand, kept for a while, and
 * published to every page as `models`.
 */
import type { ServiceClient } from '../../mint';
import { isCancellation } from '../../mint/errors';
import type { CheckpointInfo, ModelInfo, SharedState } from '../../shared/playground';
import type { Services } from '../services';
import { toErrorInfo } from './convert';

const CHECKPOINT_RUNS = 20;
/** Checkpoints appear as training goes on: a page shown again after this long gets a fresh list. */
const STALE_MS = 30_000;

export class PlaygroundCatalog {
  models: ModelInfo[] = [];
  checkpoints: CheckpointInfo[] = [];
  private loading: Promise<void> | undefined;
  /** Bumped by every load: an older load that finishes late (old server) must not overwrite a newer one. */
  private generation = 0;
  private loadedAt = 0;

  constructor(
    private readonly services: Services,
    private readonly publish: (msg: Extract<SharedState, { type: 'models' }>) => void,
  ) {}

  /** The connection changed: what the old server offered means nothing now. */
  forget(): void {
    this.models = [];
    this.checkpoints = [];
  }

  /** The user's Refresh list: a failure now shows no list rather than the old one. */
  refresh(): Promise<void> {
    this.models = [];
    return this.load(true);
  }

  get stale(): boolean {
    return !this.models.length || Date.now() - this.loadedAt > STALE_MS;
  }

  /**
   * Loads both lists and publishes them; a load already under way is joined unless `force`.
   * `quiet`: nobody asked (a server change, a page shown): a failure shows in the page only.
   */
  load(force = false, quiet = false): Promise<void> {
    if (this.loading && !force) return this.loading;
    const generation = ++this.generation;
    const p = (async () => {
      const result = await this.services.operations.attempt(
        'Load playground models',
        async ({ client }, t) => {
          const caps = await client.getServerCapabilities({ signal: t.signal });
          const models = caps.supported_models.map((m) => ({
            model_name: m.model_name,
            ...(typeof m.max_context_length === 'number' && m.max_context_length > 0 ? { max_context_length: m.max_context_length } : {}),
          }));
          return { models, checkpoints: await this.loadCheckpoints(client, t.signal) };
        },
        { quiet },
      );
      if (generation !== this.generation) return;
      if (result.kind === 'ok') {
        this.models = result.value.models;
        this.checkpoints = result.value.checkpoints;
        this.loadedAt = Date.now();
      } else if (result.kind === 'cancelled') this.services.log.warn('playground', 'loading models ended without a result (cancelled?)');
      this.publish({
        type: 'models',
        models: this.models,
        checkpoints: this.checkpoints,
        ...(result.kind === 'failed' ? { error: toErrorInfo(result.error) } : {}),
      });
    })();
    const tracked: Promise<void> = p.finally(() => {
      if (this.loading === tracked) this.loading = undefined;
    });
    this.loading = tracked;
    return tracked;
  }

  private async loadCheckpoints(client: ServiceClient, signal: AbortSignal): Promise<CheckpointInfo[]> {
    // Checkpoints are a convenience: a server without the REST routes still gets a working playground.
    try {
      const rest = client.createRestClient();
      const runs = (await rest.listTrainingRuns({ limit: CHECKPOINT_RUNS }, { signal })).training_runs;
      const lists = await Promise.all(
        runs.map(async (r) => {
          const cps = await rest.listCheckpoints(r.training_run_id, { signal }).catch(() => []);
          return (
            cps
              .filter((c) => c.checkpoint_type === 'sampler')
              // `path` is the client's reading: this client's scheme, as save returned it (MinT's tinker_path is always tinker://).
              .map((c) => ({
                path: c.path,
                base_model: r.base_model,
                run_id: r.training_run_id,
                name: c.checkpoint_id.replace(/^sampler_weights\//, ''),
                ...(c.time ? { time: c.time } : {}),
              }))
          );
        }),
      );
      return lists.flat().sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
    } catch (e) {
      if (isCancellation(e)) throw e;
      this.services.log.warn('playground', `listing sampler checkpoints failed (the model list still works): ${(e as Error).message}`);
      return [];
    }
  }
}
