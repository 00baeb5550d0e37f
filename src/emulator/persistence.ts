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
  adapter: { rank: number; seed: number; extraRowTokens: number[]; extraColTokens: number[]; A: string; B: string; optimizer?: { step: number; mA: string; vA: string; mB: string; vB: string } };
}

const enc = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const dec = (s: string) => {
  const b = Buffer.from(s, 'base64');
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
            const c = JSON.parse(readFileSync(join(cpDir, cpName), 'utf8')) as CheckpointFile;
            const adapter: AdapterState = {
              rank: c.adapter.rank,
              seed: c.adapter.seed,
              extraRowTokens: c.adapter.extraRowTokens,
              extraColTokens: c.adapter.extraColTokens,
              A: dec(c.adapter.A),
              B: dec(c.adapter.B),
            };
            const o = c.adapter.optimizer;
            if (o) adapter.optimizer = { step: o.step, mA: dec(o.mA), vA: dec(o.vA), mB: dec(o.mB), vB: dec(o.vB) };
            run.checkpoints.set(c.checkpointId, { checkpointId: c.checkpointId, type: c.type, time: new Date(c.time), sizeBytes: c.sizeBytes, adapter });
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
