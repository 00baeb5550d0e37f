import { FaultTable } from './faults';
import { FutureStore } from './futures';
import { startHeartbeatMonitor } from './heartbeat';
import { loadLanguageModel, type LanguageModel } from './languageModel';
import { adapterMisfit } from './lora';
import { Persistence } from './persistence';
import { RequestLog } from './requestLog';
import { World, type TrainingRun, type Checkpoint } from './world';

export interface EmulatorConfig {
  /** Work time of every future (sample, training op, save...), as a remote GPU would take. */
  latencyMs: number;
  /** How long retrieve_future holds a poll for a pending future before answering 408. */
  longPollMs: number;
  apiKey: string | undefined;
  /** A key that may read but not write: write routes answer 403 "Write access required", as MinT does. */
  readOnlyKey?: string | undefined;
  /** Guard /oai with the key too. MinT's server does not; its gateway might. */
  oaiRequiresKey?: boolean;
  /** In-flight samples above which a request sending X-Tinker-Sampling-Backpressure gets 429. */
  samplingBackpressureLimit: number;
  /** A training model whose session sent no heartbeat for this long is stopped, as MinT does. */
  heartbeatStaleMs: number;
  /** Production MinT's failed-future text: "Operation failed..." unless the cause is on its safe list. */
  maskErrors: boolean;
  /** Also send the pre-2026-05 X-Queue-Position/-Depth/-ETA-S and an ETA-based Retry-After. */
  legacyQueueHeaders: boolean;
  /** /save_weights writes a sampler checkpoint, as the 2026-06 snapshot does, instead of weights/ with optimizer. */
  saveWeightsAsSampler: boolean;
  /** How long a retrieved result can be read again before "Future already retrieved" (MinT: 300 s). */
  resultHotTtlMs: number;
  /** A future pending longer than this fails "Future expired" (MinT: 24 h). */
  futurePendingTtlMs: number;
}

/** MinT's defaults: 20 s long-poll, 64 samples in flight before backpressure. */
export const DEFAULT_CONFIG: EmulatorConfig = {
  latencyMs: 0,
  longPollMs: 20_000,
  apiKey: undefined,
  samplingBackpressureLimit: 64,
  heartbeatStaleMs: 300_000,
  maskErrors: false,
  legacyQueueHeaders: false,
  saveWeightsAsSampler: false,
  resultHotTtlMs: 300_000,
  futurePendingTtlMs: 86_400_000,
};

/** The emulator's state and settings, shared by every route. */
export class EmulatorCore {
  readonly faults = new FaultTable();
  readonly requestLog = new RequestLog();
  readonly futures: FutureStore;
  readonly world = new World();
  readonly persistence: Persistence | undefined;
  private lm: LanguageModel | undefined;
  private readonly stopHeartbeatMonitor: () => void;

  constructor(
    public config: EmulatorConfig,
    readonly faultsEnabled: boolean,
    readonly log: (line: string) => void,
    dataDir: string | undefined,
    /** Per-request lines cost a string per request; built only when someone reads them. */
    readonly logRequests: boolean,
  ) {
    this.futures = new FutureStore(() => this.config, log);
    this.persistence = dataDir ? new Persistence(dataDir) : undefined;
    this.restoreRuns();
    this.stopHeartbeatMonitor = startHeartbeatMonitor(this);
  }

  /** Stops background work and wakes held polls; the server closes after this. */
  close(): void {
    this.stopHeartbeatMonitor();
    this.futures.clear();
  }

  get model(): LanguageModel {
    this.lm ??= loadLanguageModel();
    return this.lm;
  }

  private restoreRuns(): void {
    if (!this.persistence) return;
    for (const run of this.persistence.loadRuns((m) => this.log(`warning: ${m}`))) {
      // A checkpoint made by another emulator model (an older corpus changes the vocabulary, so
      // the adapter's rows and columns mean other tokens) must not reach a sampler or load_state.
      for (const [id, cp] of run.checkpoints) {
        const misfit = adapterMisfit(cp.adapter, this.model);
        if (!misfit) continue;
        run.checkpoints.delete(id);
        this.log(`warning: skipping checkpoint ${id} of run ${run.id}: ${misfit}`);
      }
      run.restored = true;
      this.world.runs.set(run.id, run);
    }
  }

  saveRun(run: TrainingRun): void {
    this.persistence?.saveRun(run);
  }

  saveCheckpoint(run: TrainingRun, cp: Checkpoint): void {
    // Listings sort by step as MinT does; the live model knows it at save time.
    const step = cp.step ?? this.world.models.get(run.id)?.adapter.step;
    if (step !== undefined) cp.step = step;
    run.checkpoints.set(cp.checkpointId, cp);
    this.persistence?.saveCheckpoint(run, cp);
  }

  /** Clears what tests create; runs on disk come back, as they would after a restart. */
  reset(): void {
    this.faults.clear();
    this.requestLog.clear();
    this.futures.clear();
    this.world.clear();
    this.restoreRuns();
  }
}
