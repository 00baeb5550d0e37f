import { gzipSync } from 'node:zlib';
import { LORA_ALPHA } from './lora';
import type { Checkpoint, TrainingRun } from './world';

/** One ustar header block; the format is plain enough that a tool-free writer stays short. */
function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');
  // ustar keeps names over 100 bytes as prefix/name, split at a slash.
  const cut = Buffer.byteLength(name) > 100 ? name.lastIndexOf('/') : -1;
  put(cut >= 0 ? name.slice(cut + 1) : name, 0, 100);
  if (cut >= 0) put(name.slice(0, cut), 345, 155);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12);
  h.fill(' ', 148, 156);
  put('0', 156, 1);
  put('ustar\u000000', 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${octal(sum, 7)}\u0000 `, 148, 8);
  return h;
}

function tar(files: { name: string; data: Buffer }[], mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(tarHeader(f.name, f.data.length, mtime), f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * What the archive download holds: a gzip of a tar with one folder, named after the checkpoint
 * as MinT's `tar czf - <name>` names it, holding a PEFT-like adapter_config.json and the
 * emulator's own adapter tensors. Real MinT archives hold safetensors; nothing here claims to be
 * loadable by PEFT.
 */
export function checkpointArchive(run: TrainingRun, cp: Checkpoint): Buffer {
  const a = cp.adapter;
  const config = {
    base_model_name_or_path: run.baseModel,
    peft_type: 'LORA',
    r: a.rank,
    lora_alpha: LORA_ALPHA,
    emulator_model: 'bigram-over-qwen3-tokens',
    checkpoint_id: cp.checkpointId,
  };
  const weights = {
    rank: a.rank,
    extra_row_tokens: a.extraRowTokens,
    extra_col_tokens: a.extraColTokens,
    A: Array.from(a.A),
    B: Array.from(a.B),
  };
  const dir = cp.checkpointId.slice(cp.checkpointId.indexOf('/') + 1);
  const tarball = tar(
    [
      { name: `${dir}/adapter_config.json`, data: Buffer.from(JSON.stringify(config, null, 2)) },
      { name: `${dir}/adapter_model.json`, data: Buffer.from(JSON.stringify(weights)) },
    ],
    cp.time,
  );
  return gzipSync(tarball);
}
