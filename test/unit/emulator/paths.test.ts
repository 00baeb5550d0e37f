import assert from 'node:assert/strict';
import { formatCheckpointPath, isTinkerSdkUserAgent, parseCheckpointPath, rewriteTinkerUris, schemeFor } from '../../../src/emulator/paths';

describe('emulator: checkpoint paths', function () {
  it('parses mint:// and tinker:// paths into run, kind and checkpoint id', () => {
    assert.deepEqual(parseCheckpointPath('mint://s_0/sampler_weights/final'), {
      runId: 's_0',
      kind: 'sampler_weights',
      name: 'final',
      checkpointId: 'sampler_weights/final',
    });
    assert.equal(parseCheckpointPath('tinker://r/weights/a')?.kind, 'weights');
    for (const bad of ['mint://r/other/x', 'http://r/weights/x', 'mint://r/weights/', 'mint:///weights/x'])
      assert.equal(parseCheckpointPath(bad), undefined, bad);
    assert.equal(formatCheckpointPath('tinker', 'r', 'weights/a'), 'tinker://r/weights/a');
  });

  it("answers tinker:// only to the Tinker (or old MinT) Python SDK, by MinT's rule", () => {
    const tinker = [
      'AsyncTinker/Python 0.15.0',
      'Tinker/Python 0.22.0',
      'Mint/Python 0.1.0',
      '  mint/python 0.2.0',
      'MyTinker/Python 1.0 extra',
    ];
    const mint = [
      'MinT-VSCode/0.1.0 (Node 20)',
      'Mozilla/5.0 (X11) AsyncTinker/Python 0.22.0', // the name before the first "/" is "mozilla"
      'MyMint/Python 1.0', // ends in "mint" but is not "mint"
      'Tinker/Python1.0', // no space after "/python"
      'AsyncTinker/Node 1.0',
      'python-requests/2.31',
      '',
    ];
    for (const ua of tinker) assert.equal(schemeFor(ua), 'tinker', ua);
    for (const ua of mint) assert.equal(schemeFor(ua), 'mint', ua);
    assert.equal(schemeFor(undefined), 'mint');
    assert.equal(isTinkerSdkUserAgent('AsyncTinker/Python 0.22.0'), true);
  });

  it('rewrites tinker:// strings anywhere in a body, leaves token arrays alone, and cannot be steered by __proto__', () => {
    const body = JSON.parse(
      '{"a":"tinker://r/weights/x","b":[{"c":"tinker://r/sampler_weights/y"},"tinker://z/weights/w"],"t":[1,2,3],"__proto__":"tinker://p/weights/q","n":{"__proto__":{"polluted":true}}}',
    );
    rewriteTinkerUris(body);
    assert.equal(body.a, 'mint://r/weights/x');
    assert.equal(body.b[0].c, 'mint://r/sampler_weights/y');
    assert.equal(body.b[1], 'mint://z/weights/w');
    assert.deepEqual(body.t, [1, 2, 3]);
    assert.equal(Object.getOwnPropertyDescriptor(body, '__proto__')?.value, 'mint://p/weights/q');
    assert.equal(Object.getPrototypeOf(body.n), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});
