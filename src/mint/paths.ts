/**
 * Checkpoint paths: `<scheme>://<training_run_id>/<weights|sampler_weights>/<name>`. MinT hands
 * out mint:// to clients like this one and tinker:// to the Tinker SDK, and accepts both, so the
 * scheme is kept as given rather than normalised.
 */
import { CheckpointPathError } from './errors';

export type CheckpointScheme = 'mint' | 'tinker';
export type CheckpointKind = 'weights' | 'sampler_weights';
export type CheckpointType = 'training' | 'sampler';

export interface CheckpointPath {
  scheme: CheckpointScheme;
  training_run_id: string;
  kind: CheckpointKind;
  /** `weights` holds training state (resume training); `sampler_weights` is what you sample. */
  checkpoint_type: CheckpointType;
  name: string;
  /** "<kind>/<name>", the id the REST routes use. */
  checkpoint_id: string;
}

const SCHEME_RE = /^(mint|tinker):\/\/(.*)$/;

export function parseCheckpointPath(path: string): CheckpointPath {
  const m = SCHEME_RE.exec(path.trim());
  if (!m) throw new CheckpointPathError(path, 'it must start with mint:// or tinker://');
  const segments = m[2]!.split('/');
  if (segments.length !== 3) {
    throw new CheckpointPathError(path, `it has ${segments.length} segment(s) after the scheme, not 3`);
  }
  const [run, kind, name] = segments as [string, string, string];
  if (!run) throw new CheckpointPathError(path, 'the training run id is empty');
  if (kind !== 'weights' && kind !== 'sampler_weights') {
    throw new CheckpointPathError(path, `the second segment is "${kind}", not "weights" or "sampler_weights"`);
  }
  if (!name) throw new CheckpointPathError(path, 'the checkpoint name is empty');
  return {
    scheme: m[1] as CheckpointScheme,
    training_run_id: run,
    kind,
    checkpoint_type: kind === 'weights' ? 'training' : 'sampler',
    name,
    checkpoint_id: `${kind}/${name}`,
  };
}

export function formatCheckpointPath(p: {
  scheme?: CheckpointScheme;
  training_run_id: string;
  kind: CheckpointKind;
  name: string;
}): string {
  const out = `${p.scheme ?? 'mint'}://${p.training_run_id}/${p.kind}/${p.name}`;
  parseCheckpointPath(out);
  return out;
}

export function isCheckpointPath(path: string): boolean {
  try {
    parseCheckpointPath(path);
    return true;
  } catch {
    return false;
  }
}

/** True for a path that can be sampled (sampler weights), false for training state. */
export function isSamplerPath(path: string): boolean {
  return parseCheckpointPath(path).kind === 'sampler_weights';
}
