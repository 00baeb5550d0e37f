// debugpy's exceptionInfo, as real debugpy (1.6.3, Debian's python3-debugpy) sent it for the test
// workspace's sample_fails.py failing with a 500: innermost frame first, the chained HTTPError
// first, "(Current frame)" on the frame it paused in, the qualified exception line last.
import assert from 'node:assert/strict';
import { tracebackFromDebugpy } from '../../../src/python/debugpy';
import { scanTracebacks, userFrame } from '../../../src/python/traceback';

const WS = '/tmp/mint-it-YRTWdZ/workspace/python';
const REAL = [
  `  File "${WS}/vendor/site-packages/tinker/__init__.py", line 99, in _call`,
  '    with urllib.request.urlopen(req, timeout=30) as resp:',
  '         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/usr/lib/python3.11/urllib/request.py", line 643, in http_error_default',
  '    raise HTTPError(req.full_url, code, msg, hdrs, fp)',
  'urllib.error.HTTPError: HTTP Error 500: Internal Server Error',
  '',
  'During handling of the above exception, another exception occurred:',
  '',
  `  File "${WS}/vendor/site-packages/tinker/__init__.py", line 110, in _call`,
  '    raise cls(f"Error code: {e.code} - {parsed}", e.code, parsed) from None',
  `  File "${WS}/vendor/site-packages/tinker/__init__.py", line 116, in sample`,
  '    future = self._call(',
  '             ^^^^^^^^^^^',
  `  File "${WS}/sample_fails.py", line 11, in sample_once`,
  '    return client.sample(model, [1, 2, 3], max_tokens=4)  # MINT-FAILS-HERE',
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  `  File "${WS}/sample_fails.py", line 16, in main`,
  '    print(sample_once(client, client.models()[0]))',
  `  File "${WS}/sample_fails.py", line 20, in <module>`,
  '    main()',
  '  File "/usr/lib/python3.11/runpy.py", line 88, in _run_code',
  '    exec(code, run_globals)',
  '  File "/usr/lib/python3.11/runpy.py", line 198, in _run_module_as_main (Current frame)',
  '    return _run_code(code, main_globals, None,',
  "tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: 7d1c2a4e-0b6f-4a51-9d0e-2f3c4b5a6d7e'}",
].join('\n');

describe('python: debugpy exception info', () => {
  it("turns debugpy's innermost-first trace into a traceback the parser reads, with the user's own frame", () => {
    const text = tracebackFromDebugpy(REAL);
    assert.ok(text);
    const [finding] = scanTracebacks(text);
    assert.ok(finding, text);
    const ex = finding.exceptions[finding.exceptions.length - 1]!;
    assert.equal(ex.className, 'InternalServerError');
    assert.equal(ex.requestId, '7d1c2a4e-0b6f-4a51-9d0e-2f3c4b5a6d7e');
    assert.deepEqual(
      ex.frames.map((f) => f.line),
      [198, 88, 20, 16, 11, 116, 110],
    );
    assert.deepEqual(
      userFrame(ex.frames, (f) => f.startsWith(WS)),
      { file: `${WS}/sample_fails.py`, line: 11, func: 'sample_once' },
    );
  });

  it('gives up on text that does not end in an exception line', () => {
    assert.equal(tracebackFromDebugpy('  File "/a.py", line 1, in f\n    x()\n'), undefined);
    assert.equal(tracebackFromDebugpy(''), undefined);
  });
});
