import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterState } from './lora';
import type { Checkpoint, TrainingRun } from './world';

/**
 * --data-dir layout: `<dir>/runs/<run id>/run.json` and one JSON file per checkpoint, with the
 * adapter's float arrays as base64 of their little-endian bytes (exact, and 3x smaller than text).
 * Writes go to a temporary file first, so a crash never leaves half a checkpoint behind.
 */

interface RunFile {
  id: string;
  baseModel: string;
  rank: number;
  /** Absent in files written before full fine-tunes existed: those runs were all LoRA. */
  isLora?: boolean;
  seed: number;
  train: [mlp: boolean, attn: boolean, unembed: boolean];
  userMetadata?: Record<string, string>;
  createdAt: string;
  lastRequestTime: string;
}

interface CheckpointFile {
  checkpointId: string;
  type: 'training' | 'sampler';
  time: string;
  sizeBytes: number;
  adapter: {
    rank: number;
    seed: number;
    extraRowTokens: number[];
    extraColTokens: number[];
    A: string;
    B: string;
    optimizer?: { step: number; mA: string; vA: string; mB: string; vB: string };
  };
}

const enc = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const dec = (s: unknown) => {
  if (typeof s !== 'string') throw new Error('a tensor is missing');
  const b = Buffer.from(s, 'base64');
  if (b.byteLength % 8 !== 0) throw new Error('a tensor is not a whole number of float64 values');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Run ids hold characters that are fine in URLs but not in every file system. */
const safe = (s: string) => encodeURIComponent(s).replace(/\*/g, '%2A');

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export class Persistence {
  constructor(private readonly dir: string) {
    mkdirSync(join(dir, 'runs'), { recursive: true });
  }

  private runDir(id: string): string {
    return join(this.dir, 'runs', safe(id));
  }

  saveRun(run: TrainingRun): void {
    const d = this.runDir(run.id);
    mkdirSync(join(d, 'checkpoints'), { recursive: true });
    const file: RunFile = {
      id: run.id,
      baseModel: run.baseModel,
      rank: run.rank,
      isLora: run.isLora,
      seed: run.seed,
      train: [run.trainMlp, run.trainAttn, run.trainUnembed],
      createdAt: run.createdAt.toISOString(),
      lastRequestTime: run.lastRequestTime.toISOString(),
    };
    if (run.userMetadata) file.userMetadata = run.userMetadata;
    writeAtomic(join(d, 'run.json'), JSON.stringify(file));
  }

  saveCheckpoint(run: TrainingRun, cp: Checkpoint): void {
    this.saveRun(run);
    const a = cp.adapter;
    const file: CheckpointFile = {
      checkpointId: cp.checkpointId,
      type: cp.type,
      time: cp.time.toISOString(),
      sizeBytes: cp.sizeBytes,
      adapter: { rank: a.rank, seed: a.seed, extraRowTokens: a.extraRowTokens, extraColTokens: a.extraColTokens, A: enc(a.A), B: enc(a.B) },
    };
    if (a.optimizer) {
      const o = a.optimizer;
      file.adapter.optimizer = { step: o.step, mA: enc(o.mA), vA: enc(o.vA), mB: enc(o.mB), vB: enc(o.vB) };
    }
    writeAtomic(join(this.runDir(run.id), 'checkpoints', `${safe(cp.checkpointId)}.json`), JSON.stringify(file));
  }

  deleteCheckpoint(runId: string, checkpointId: string): void {
    rmSync(join(this.runDir(runId), 'checkpoints', `${safe(checkpointId)}.json`), { force: true });
  }

  /** Every run found on disk. An unreadable file is reported and skipped, never fatal. */
  loadRuns(warn: (msg: string) => void): TrainingRun[] {
    const root = join(this.dir, 'runs');
    const runs: TrainingRun[] = [];
    for (const name of readdirSync(root)) {
      const d = join(root, name);
      try {
        const f = JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as RunFile;
        const run: TrainingRun = {
          id: f.id,
          baseModel: f.baseModel,
          rank: f.rank,
          isLora: f.isLora ?? true,
          seed: f.seed,
          trainMlp: f.train?.[0] ?? true,
          trainAttn: f.train?.[1] ?? true,
          trainUnembed: f.train?.[2] ?? true,
          userMetadata: f.userMetadata,
          createdAt: new Date(f.createdAt),
          lastRequestTime: new Date(f.lastRequestTime),
          checkpoints: new Map(),
        };
        const cpDir = join(d, 'checkpoints');
        if (existsSync(cpDir)) {
          for (const cpName of readdirSync(cpDir).filter((n) => n.endsWith('.json'))) {
            // One unreadable checkpoint costs only itself, not the run and its other checkpoints.
            try {
              run.checkpoints.set(...readCheckpoint(join(cpDir, cpName)));
            } catch (err) {
              warn(`skipping unreadable checkpoint ${join(cpDir, cpName)}: ${(err as Error).message}`);
            }
          }
        }
        runs.push(run);
      } catch (err) {
        warn(`skipping unreadable run in ${d}: ${(err as Error).message}`);
      }
    }
    return runs;
  }
}

const isTokenList = (x: unknown): x is number[] => Array.isArray(x) && x.every((t) => Number.isInteger(t));

function readCheckpoint(path: string): [string, Checkpoint] {
  const c = JSON.parse(readFileSync(path, 'utf8')) as CheckpointFile;
  const a = c?.adapter;
  if (typeof c?.checkpointId !== 'string' || (c.type !== 'training' && c.type !== 'sampler')) throw new Error('no checkpointId or type');
  if (!a || !Number.isInteger(a.rank) || a.rank < 1 || !isTokenList(a.extraRowTokens) || !isTokenList(a.extraColTokens)) {
    throw new Error('the adapter lacks its rank or its extra row/column token lists');
  }
  const adapter: AdapterState = {
    rank: a.rank,
    seed: a.seed,
    extraRowTokens: a.extraRowTokens,
    extraColTokens: a.extraColTokens,
    A: dec(a.A),
    B: dec(a.B),
  };
  const o = a.optimizer;
  if (o) adapter.optimizer = { step: o.step, mA: dec(o.mA), vA: dec(o.vA), mB: dec(o.mB), vB: dec(o.vB) };
  return [c.checkpointId, { checkpointId: c.checkpointId, type: c.type, time: new Date(c.time), sizeBytes: c.sizeBytes, adapter }];
}
