import { DEFAULT_CONFIG, EmulatorCore } from './core';
import { Router } from './router';
import { registerControl } from './routes/control';
import { registerFutures } from './routes/futures';
import { registerOpenAI } from './routes/openai';
import { registerMint } from './routes/mint';
import { registerModels } from './routes/models';
import { registerRest } from './routes/rest';
import { registerTraining } from './routes/training';
import { registerTrainingModels } from './routes/trainingModels';
import { registerWeights } from './routes/weights';
import { registerSampling } from './routes/sampling';
import { registerService } from './routes/service';
import { HttpFront } from './server';

export interface EmulatorOptions {
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Turns on X-API-Key checking; without it any key (or none) is accepted. */
  apiKey?: string;
  /** A second key that may only read: write routes answer it 403 "Write access required". */
  readOnlyKey?: string;
  /** Require the key on /oai/api/v1 too (Bearer or X-API-Key); MinT's server itself does not. */
  oaiRequiresKey?: boolean;
  /** Keeps runs and checkpoints across restarts. */
  dataDir?: string;
  /** Enables the /_emulator/ control interface (tests only). */
  faults?: boolean;
  /** How long retrieve_future holds a poll open for a pending future (default 20 000 ms, MinT's). */
  longPollMs?: number;
  /** Work time of each future: a sample or training op completes this long after it is submitted. */
  latencyMs?: number;
  /** Serve the API under a path prefix such as "/train", as MinT's public URL does. */
  prefix?: string;
  /** In-flight samples at which X-Tinker-Sampling-Backpressure requests get 429 (default 64, MinT's). */
  samplingBackpressureLimit?: number;
  /** Session heartbeat silence after which training models are stopped (default 300 000 ms, MinT's). */
  heartbeatStaleMs?: number;
  /** Failed futures say only "Operation failed..." unless the cause is on MinT's safe list, as production does. */
  maskErrors?: boolean;
  /** Pending replies also carry the pre-2026-05 X-Queue-Position/-Depth/-ETA-S and an ETA-based Retry-After. */
  legacyQueueHeaders?: boolean;
  /** /save_weights writes a sampler checkpoint (the 2026-06 snapshot's dispatch) instead of weights/ with optimizer. */
  saveWeightsAsSampler?: boolean;
  /** How long a retrieved result can be read again (default 300 000 ms, MinT's hot cache). */
  resultHotTtlMs?: number;
  /** Receives warnings and, unless `logRequests` is false, one line per request (never headers or keys). */
  log?: (line: string) => void;
  /** Default true when `log` is given. */
  logRequests?: boolean;
}

export interface Emulator {
  url: string;
  port: number;
  close(): Promise<void>;
}

function normalisePrefix(prefix: string | undefined): string {
  if (!prefix || prefix === '/') return '';
  const p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return p.replace(/\/+$/, '');
}

/** Starts a MinT-compatible server (docs/contracts.md §1). The model loads before the port opens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const core = new EmulatorCore(
    {
      latencyMs: options.latencyMs ?? DEFAULT_CONFIG.latencyMs,
      longPollMs: options.longPollMs ?? DEFAULT_CONFIG.longPollMs,
      apiKey: options.apiKey || undefined,
      readOnlyKey: options.readOnlyKey || undefined,
      oaiRequiresKey: options.oaiRequiresKey ?? false,
      samplingBackpressureLimit: options.samplingBackpressureLimit ?? DEFAULT_CONFIG.samplingBackpressureLimit,
      heartbeatStaleMs: options.heartbeatStaleMs ?? DEFAULT_CONFIG.heartbeatStaleMs,
      maskErrors: options.maskErrors ?? DEFAULT_CONFIG.maskErrors,
      legacyQueueHeaders: options.legacyQueueHeaders ?? DEFAULT_CONFIG.legacyQueueHeaders,
      saveWeightsAsSampler: options.saveWeightsAsSampler ?? DEFAULT_CONFIG.saveWeightsAsSampler,
      resultHotTtlMs: options.resultHotTtlMs ?? DEFAULT_CONFIG.resultHotTtlMs,
      futurePendingTtlMs: DEFAULT_CONFIG.futurePendingTtlMs,
    },
    options.faults ?? false,
    options.log ?? (() => {}),
    options.dataDir,
    options.log !== undefined && options.logRequests !== false,
  );
  // Fail here, with the tokenizer's fix in the message, rather than on the first sample.
  void core.model;

  const api = new Router();
  registerService(api);
  registerSampling(api);
  registerFutures(api);
  registerTrainingModels(api);
  registerTraining(api);
  registerWeights(api);
  registerRest(api);
  registerModels(api);
  registerOpenAI(api);
  registerMint(api);
  const control = new Router();
  registerControl(control);

  const prefix = normalisePrefix(options.prefix);
  const front = new HttpFront(core, api, control, prefix);
  const port = await front.listen(host, options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}${prefix}`,
    port,
    close: async () => {
      core.close();
      await new Promise<void>((resolve) => {
        front.server.close(() => resolve());
        front.server.closeAllConnections();
      });
    },
  };
}
