import assert from 'node:assert/strict';
import {
  CheckpointPathError,
  TinkerError,
  formatCheckpointPath,
  isCheckpointPath,
  isSamplerPath,
  parseCheckpointPath,
} from '../../../src/mint/index';

describe('checkpoint paths', () => {
  it('parses mint:// and tinker:// paths, telling training state from sampler weights', () => {
    assert.deepEqual(parseCheckpointPath('mint://abc_0/sampler_weights/final'), {
      scheme: 'mint',
      training_run_id: 'abc_0',
      kind: 'sampler_weights',
      checkpoint_type: 'sampler',
      name: 'final',
      checkpoint_id: 'sampler_weights/final',
    });
    const t = parseCheckpointPath('tinker://4f0e:train:0/weights/step-10');
    assert.equal(t.scheme, 'tinker');
    assert.equal(t.training_run_id, '4f0e:train:0');
    assert.equal(t.checkpoint_type, 'training');
    assert.equal(isSamplerPath('mint://r/sampler_weights/x'), true);
    assert.equal(isSamplerPath('mint://r/weights/x'), false);
  });

  it('formats and round-trips', () => {
    const p = formatCheckpointPath({ training_run_id: 'run1', kind: 'weights', name: 's1' });
    assert.equal(p, 'mint://run1/weights/s1');
    assert.equal(
      formatCheckpointPath({ scheme: 'tinker', training_run_id: 'r', kind: 'sampler_weights', name: 'n' }),
      'tinker://r/sampler_weights/n',
    );
    assert.deepEqual(parseCheckpointPath(p).name, 's1');
  });

  const bad: [string, RegExp][] = [
    ['https://x/weights/y', /must start with mint:\/\/ or tinker:\/\//],
    ['mint://run/final', /2 segment\(s\) after the scheme, not 3/],
    ['mint://run/sampler_weights/a/b', /4 segment/],
    ['mint://run/checkpoints/final', /"checkpoints", not "weights" or "sampler_weights"/],
    ['mint:///weights/x', /training run id is empty/],
    ['mint://run/weights/', /name is empty/],
  ];
  for (const [path, why] of bad) {
    it(`rejects ${JSON.stringify(path)} with a clear reason`, () => {
      assert.equal(isCheckpointPath(path), false);
      assert.throws(
        () => parseCheckpointPath(path),
        (e: unknown) =>
          e instanceof CheckpointPathError &&
          e instanceof TinkerError &&
          why.test(e.message) &&
          /Expected mint:\/\//.test(e.message) &&
          e.path === path,
      );
    });
  }
});
