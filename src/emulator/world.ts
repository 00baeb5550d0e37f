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
  /** The adapter's rank; a run created without lora_config still trains one, at the default rank. */
  rank: number;
  /** False when create_model had no lora_config: MinT calls that a full fine-tune (is_lora false, lora_rank null). */
  isLora: boolean;
  seed: number;
  trainMlp: boolean;
  trainAttn: boolean;
  trainUnembed: boolean;
  userMetadata: Record<string, string> | undefined;
  createdAt: Date;
  lastRequestTime: Date;
  checkpoints: Map<string, Checkpoint>;
  /** Loaded from --data-dir at start-up: no live session, but listed so the user's work stays in view. */
  restored?: boolean;
}

/** One training operation waiting for, or holding, its model. */
export interface QueuedOp {
  requestId: string;
  work: () => unknown;
}

/**
 * A model that can train: its adapter and its queue. Operations run one at a time in the order
 * they arrived, as MinT's per-model ordering key does; a seq_id never gates anything.
 */
export interface LiveModel {
  id: string;
  sessionId: string;
  run: TrainingRun;
  adapter: LoraAdapter;
  /** Operations that arrived and wait for the one running to finish, oldest first. */
  queue: QueuedOp[];
  /** The request id of the operation now running, if any. */
  running: string | undefined;
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
  /** Why a model id went away (a stale heartbeat), so its later 404 can say so. */
  readonly stoppedModels = new Map<string, string>();

  clear(): void {
    this.stoppedModels.clear();
    this.sessions.clear();
    this.runs.clear();
    this.models.clear();
    this.samplers.clear();
  }
}

export function checkpointSize(s: AdapterState): number {
  return (s.A.length + s.B.length) * 8 * (s.optimizer ? 3 : 1);
}
