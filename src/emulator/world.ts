import type { AdapterState, LoraAdapter } from './lora';

/** Everything the emulator remembers about clients: sessions, runs, checkpoints, samplers. */

export interface Session {
  id: string;
  tags: string[];
  userMetadata: Record<string, unknown> | undefined;
  createdAt: Date;
  lastHeartbeat: Date;
  trainingRunIds: string[];
  samplerIds: string[];
}

export interface Checkpoint {
  checkpointId: string;
  type: 'training' | 'sampler';
  time: Date;
  /** The model's training step when it was saved (MinT's `current_step`). */
  step?: number;
  adapter: AdapterState;
  sizeBytes: number;
}

/** A training run outlives its live model: it is what the REST routes list and --data-dir keeps. */
export interface TrainingRun {
  id: string;
  baseModel: string;
  rank: number;
  seed: number;
  trainMlp: boolean;
  trainAttn: boolean;
  trainUnembed: boolean;
  userMetadata: Record<string, string> | undefined;
  createdAt: Date;
  lastRequestTime: Date;
  checkpoints: Map<string, Checkpoint>;
}

/** A model that can train: its adapter, and the seq_id gate that orders its operations. */
export interface LiveModel {
  id: string;
  sessionId: string;
  run: TrainingRun;
  adapter: LoraAdapter;
  /** Highest seq_id whose operation has been admitted; the next must be this + 1. */
  lastSeq: number;
  /** Operations that arrived ahead of their turn, by seq_id. */
  parked: Map<number, () => void>;
  /** Admitted seq_ids, so a retried POST gets its original future back instead of an error. */
  seen: Map<number, { requestId: string; payloadKey: string }>;
  /** Futures of this model not yet finished, failed together if the model is stopped. */
  inFlight: Set<string>;
  /** Tail of the operation chain: each op starts when the previous one has finished. */
  busy: Promise<void>;
}

export interface SamplingSession {
  id: string;
  sessionId: string | undefined;
  baseModel: string;
  modelPath: string | undefined;
  /** Frozen adapter of a sampler checkpoint; undefined samples the base model. */
  adapter: LoraAdapter | undefined;
  createdAt: Date;
  /** The config it was created with, to answer 409 when the same id comes back different. */
  configKey: string;
}

export class World {
  readonly sessions = new Map<string, Session>();
  readonly runs = new Map<string, TrainingRun>();
  readonly models = new Map<string, LiveModel>();
  readonly samplers = new Map<string, SamplingSession>();

  clear(): void {
    this.sessions.clear();
    this.runs.clear();
    this.models.clear();
    this.samplers.clear();
  }
}

export function checkpointSize(s: AdapterState): number {
  return (s.A.length + s.B.length) * 8 * (s.optimizer ? 3 : 1);
}
