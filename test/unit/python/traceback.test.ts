import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  COOKBOOK_CLASSES,
  SDK_CLASSES,
  TracebackScanner,
  findLinks,
  isLibraryPath,
  parsePausedLine,
  scanTracebacks,
  userFrame,
  type LineLink,
  type MintException,
  type PausedFinding,
  type PyFrame,
  type TracebackFinding,
} from '../../../src/python/traceback';
import { parsePyLiteral } from '../../../src/python/pyLiteral';
import { LineSplitter } from '../../../src/python/terminalLines';

// ---------------------------------------------------------------------------------------------
// Realistic output, built from the shapes CPython and the SDK print.

const PROJ = '/home/me/proj';
const SITE = `${PROJ}/.venv/lib/python3.11/site-packages`;
const isUser = (f: string) => f.startsWith(`${PROJ}/`);
const REQ_SAMPLE = '9d576193-1a2b-4c3d-9e8f-0123456789ab:sample:0:34';
const REQ_TRAIN = 'e148a8d7-5c6d-4e7f-8a9b-0c1d2e3f4a5b:train:0:1';
const LOG_ID = '3f2a9c1e-7b6d-4e5f-a1b2-c3d4e5f6a7b8';
const MINT_SAMPLE_ID = 'sample_8f14e45fceea167a5a36dedd4bea2543';
const EMULATOR_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const SAMPLE_RESPONSE = "<class 'tinker.types.sample_response.SampleResponse'>";

function frame(file: string, line: number, func: string, source?: string, carets?: string): string {
  return `  File "${file}", line ${line}, in ${func}\n${source ? `    ${source}\n` : ''}${carets ? `    ${carets}\n` : ''}`;
}

const SAMPLING_FRAMES = [
  frame(`${PROJ}/train.py`, 88, '<module>', 'main()'),
  frame(`${PROJ}/train.py`, 42, 'main', 'result = future.result()', '         ^^^^^^^^^^^^^^^'),
  frame(`${SITE}/tinker/lib/public_interfaces/api_future.py`, 31, 'result', 'return self._future.result(timeout)'),
  frame('/usr/lib/python3.11/concurrent/futures/_base.py', 456, 'result', 'return self.__get_result()', '       ^^^^^^^^^^^^^^^^^^^'),
  frame(`${SITE}/tinker/lib/api_future_impl.py`, 210, '_result_async', 'raise RequestFailedError('),
];
const TRAINING_FRAMES = [
  frame(`${PROJ}/sl_loop.py`, 120, '<module>', 'train(config)'),
  frame(`${PROJ}/sl_loop.py`, 77, 'train', 'fwd_bwd = training_client.forward_backward(batch, "cross_entropy").result()'),
  frame(`${SITE}/tinker/lib/public_interfaces/training_client.py`, 301, 'forward_backward'),
  frame(`${SITE}/tinker/_base_client.py`, 1047, 'request', 'raise self._make_status_error_from_response(err.response) from None'),
];

function traceback(frames: string[], exceptionLine: string): string {
  return `Traceback (most recent call last):\n${frames.join('')}${exceptionLine}\n`;
}

const requestFailed = (serverText: string, id = REQ_SAMPLE) =>
  `tinker.RequestFailedError: Request failed: ${serverText} for self.request_id='${id}' and expected type self.model_cls=${SAMPLE_RESPONSE}`;

interface Expect {
  className: string;
  family?: 'sdk' | 'cookbook' | 'builtin';
  qualifiedName?: string;
  requestId?: string;
  logId?: string;
  traceId?: string;
  status?: number;
  detail?: string;
  checkpoint?: string;
  /** "file:line" of userFrame(frames, isUser) */
  user?: string;
  message?: string | RegExp;
}

interface Case {
  name: string;
  text: string;
  /** One entry per finding, each the finding's exceptions in order. */
  expect: Expect[][];
  isUser?: (file: string) => boolean;
}

const CASES: Case[] = [
  {
    name: 'RequestFailedError from a sampling future (sample request id)',
    text: traceback(SAMPLING_FRAMES, requestFailed('Sampling failed: prompt exceeds the model context window (40960 > 32768)')),
    expect: [
      [
        {
          className: 'RequestFailedError',
          family: 'sdk',
          qualifiedName: 'tinker.RequestFailedError',
          requestId: REQ_SAMPLE,
          detail: 'Sampling failed: prompt exceeds the model context window (40960 > 32768)',
          user: `${PROJ}/train.py:42`,
        },
      ],
    ],
  },
  {
    name: 'RequestFailedError printed with its private module path (older SDK), training request id',
    text: traceback(
      TRAINING_FRAMES,
      `tinker._exceptions.RequestFailedError: Request failed: Operation failed. Contact administrator if issue persists. for self.request_id='${REQ_TRAIN}' and expected type self.model_cls=<class 'tinker.types.forward_backward_output.ForwardBackwardOutput'>`,
    ),
    expect: [
      [
        {
          className: 'RequestFailedError',
          qualifiedName: 'tinker._exceptions.RequestFailedError',
          requestId: REQ_TRAIN,
          detail: 'Operation failed. Contact administrator if issue persists.',
          user: `${PROJ}/sl_loop.py:77`,
        },
      ],
    ],
  },
  {
    name: 'InternalServerError with a Log ID in the FastAPI body',
    text: traceback(
      TRAINING_FRAMES,
      `tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${LOG_ID}'}`,
    ),
    expect: [
      [
        {
          className: 'InternalServerError',
          status: 500,
          logId: LOG_ID,
          requestId: LOG_ID,
          detail: `An unexpected error occurred. Log ID: ${LOG_ID}`,
          user: `${PROJ}/sl_loop.py:77`,
        },
      ],
    ],
  },
  {
    name: 'RateLimitError with a bare status',
    text: traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429'),
    expect: [[{ className: 'RateLimitError', status: 429, requestId: undefined, detail: undefined, user: `${PROJ}/sl_loop.py:77` }]],
  },
  {
    name: 'NotFoundError with a JSON body naming a checkpoint',
    text: traceback(
      TRAINING_FRAMES,
      `tinker.NotFoundError: Error code: 404 - {"detail": "Checkpoint tinker://${REQ_TRAIN.slice(0, 36)}:train:0/weights/step-0400 not found"}`,
    ),
    expect: [
      [
        {
          className: 'NotFoundError',
          status: 404,
          detail: `Checkpoint tinker://${REQ_TRAIN.slice(0, 36)}:train:0/weights/step-0400 not found`,
          checkpoint: `tinker://${REQ_TRAIN.slice(0, 36)}:train:0/weights/step-0400`,
        },
      ],
    ],
  },
  {
    name: "UnprocessableEntityError: FastAPI 422 list of errors joined as 'loc: msg'",
    text: traceback(
      SAMPLING_FRAMES.slice(0, 2),
      "tinker.UnprocessableEntityError: Error code: 422 - {'detail': [{'loc': ['body', 'max_tokens'], 'msg': 'field required', 'type': 'value_error.missing'}, {'loc': ['body', 'sampling_params', 'temperature'], 'msg': 'ensure this value is greater than or equal to 0', 'type': 'value_error.number.not_ge', 'ctx': {'limit_value': 0}}]}",
    ),
    expect: [
      [
        {
          className: 'UnprocessableEntityError',
          status: 422,
          detail: 'body.max_tokens: field required; body.sampling_params.temperature: ensure this value is greater than or equal to 0',
          user: `${PROJ}/train.py:42`,
        },
      ],
    ],
  },
  {
    name: "AuthenticationError from the auth middleware's {'error': ...}",
    text: traceback(
      [frame(`${PROJ}/train.py`, 9, '<module>', 'service_client = tinker.ServiceClient()')],
      "tinker.AuthenticationError: Error code: 401 - {'error': 'Invalid API key'}",
    ),
    expect: [[{ className: 'AuthenticationError', status: 401, detail: 'Invalid API key', user: `${PROJ}/train.py:9` }]],
  },
  {
    name: 'BadRequestError whose detail holds a single quote (repr switches to double quotes), with None/True',
    text: traceback(
      TRAINING_FRAMES,
      `tinker.BadRequestError: Error code: 400 - {'detail': "Base model 'Qwen/Qwen3-8B-Instruct' is not supported", 'code': None, 'retryable': True}`,
    ),
    expect: [[{ className: 'BadRequestError', status: 400, detail: "Base model 'Qwen/Qwen3-8B-Instruct' is not supported" }]],
  },
  {
    name: "BadRequestError: nested detail dict with escaped quotes and MinT's sample_ request id",
    text: traceback(
      TRAINING_FRAMES,
      `tinker.BadRequestError: Error code: 400 - {'detail': {'error': 'bad \\'loss_fn\\' value: \\'ppo2\\'', 'request_id': '${MINT_SAMPLE_ID}', 'hints': ['cross_entropy', 'importance_sampling']}}`,
    ),
    expect: [[{ className: 'BadRequestError', status: 400, detail: "bad 'loss_fn' value: 'ppo2'", requestId: MINT_SAMPLE_ID }]],
  },
  {
    name: 'ConflictError and PermissionDeniedError in two separate tracebacks',
    text:
      traceback(TRAINING_FRAMES, "tinker.ConflictError: Error code: 409 - {'detail': \"Model 'my-run' already exists\"}") +
      '\nretrying with a new name\n' +
      traceback(
        TRAINING_FRAMES,
        "tinker.PermissionDeniedError: Error code: 403 - {'detail': 'Not allowed to delete checkpoints of run-7'}",
      ),
    expect: [
      [{ className: 'ConflictError', status: 409, detail: "Model 'my-run' already exists" }],
      [{ className: 'PermissionDeniedError', status: 403, detail: 'Not allowed to delete checkpoints of run-7' }],
    ],
  },
  {
    name: 'APIConnectionError chained from httpx.ConnectError: only the MinT one',
    text:
      traceback(
        [frame(`${SITE}/httpx/_transports/default.py`, 101, 'map_httpcore_exceptions', 'yield')],
        'httpx.ConnectError: [Errno 111] Connection refused',
      ) +
      '\nThe above exception was the direct cause of the following exception:\n\n' +
      traceback(
        [
          frame(`${PROJ}/train.py`, 15, '<module>', 'caps = service_client.get_server_capabilities()'),
          frame(`${SITE}/tinker/_base_client.py`, 1014, 'request', 'raise APIConnectionError(request=request) from err'),
        ],
        'tinker.APIConnectionError: Connection error.',
      ),
    expect: [[{ className: 'APIConnectionError', message: 'Connection error.', user: `${PROJ}/train.py:15` }]],
  },
  {
    name: 'APITimeoutError',
    text: traceback(TRAINING_FRAMES, 'tinker.APITimeoutError: Request timed out.'),
    expect: [[{ className: 'APITimeoutError', message: 'Request timed out.' }]],
  },
  {
    name: "mint's re-exports: mint.RateLimitError and mint.tinker.NotFoundError",
    text:
      traceback(TRAINING_FRAMES, 'mint.RateLimitError: Error code: 429') +
      '\n' +
      traceback(TRAINING_FRAMES, "mint.tinker.NotFoundError: Error code: 404 - {'detail': 'Not Found'}"),
    expect: [
      [{ className: 'RateLimitError', qualifiedName: 'mint.RateLimitError', family: 'sdk', status: 429 }],
      [{ className: 'NotFoundError', qualifiedName: 'mint.tinker.NotFoundError', status: 404, detail: 'Not Found' }],
    ],
  },
  {
    name: 'RetryableException: promise expired for a request',
    text: traceback(
      SAMPLING_FRAMES,
      `tinker.lib.retryable_exception.RetryableException: Promise expired/broken for request ${REQ_SAMPLE.replace(':34', ':7')}`,
    ),
    expect: [[{ className: 'RetryableException', family: 'sdk', requestId: REQ_SAMPLE.replace(':34', ':7') }]],
  },
  {
    name: 'SidecarDiedError without a message',
    text: traceback(SAMPLING_FRAMES, 'tinker.SidecarDiedError'),
    expect: [[{ className: 'SidecarDiedError', message: '' }]],
  },
  {
    name: 'cookbook: AllTrajectoriesFailedError, ConfigurationError (short path), mint_cookbook CheckpointError',
    text:
      traceback(
        [
          frame(`${PROJ}/rl_train.py`, 201, '<module>', 'asyncio.run(main(config))'),
          frame(`${SITE}/tinker_cookbook/rl/train.py`, 333, 'do_group_rollout', 'raise AllTrajectoriesFailedError(...)'),
        ],
        'tinker_cookbook.exceptions.AllTrajectoriesFailedError: All 16 trajectories in group 3 failed (last error: sandbox timeout)',
      ) +
      '\n' +
      traceback(
        [frame(`${PROJ}/rl_train.py`, 12, '<module>')],
        "tinker_cookbook.ConfigurationError: renderer_name 'qwen3' does not match model family of meta-llama/Llama-3.1-8B",
      ) +
      '\n' +
      traceback(
        [frame(`${PROJ}/resume.py`, 30, 'resume')],
        'mint_cookbook.exceptions.CheckpointError: could not load mint://run-42:train:0/weights/final: missing optimizer state',
      ),
    expect: [
      [{ className: 'AllTrajectoriesFailedError', family: 'cookbook', user: `${PROJ}/rl_train.py:201` }],
      [{ className: 'ConfigurationError', family: 'cookbook', qualifiedName: 'tinker_cookbook.ConfigurationError' }],
      [
        {
          className: 'CheckpointError',
          family: 'cookbook',
          checkpoint: 'mint://run-42:train:0/weights/final',
          user: `${PROJ}/resume.py:30`,
        },
      ],
    ],
  },
  {
    name: 'builtin ValueError: Error retrieving result wrapping a 404 (SDK f-string with status_code=)',
    text: traceback(
      SAMPLING_FRAMES,
      `ValueError: Error retrieving result: Error code: 404 - {'detail': 'Future not found or expired'} with status code e.status_code=404 for self.request_id='${REQ_SAMPLE}' and expected type self.model_cls=${SAMPLE_RESPONSE}`,
    ),
    expect: [[{ className: 'ValueError', family: 'builtin', status: 404, requestId: REQ_SAMPLE, detail: 'Future not found or expired' }]],
  },
  {
    name: "builtin ValueError: 'with status 404' and '(status 400) ... exceeded 3 retries'",
    text:
      traceback(
        SAMPLING_FRAMES,
        `ValueError: Error retrieving result: future expired with status 404 for self.request_id='${EMULATOR_ID}' and expected type self.model_cls=${SAMPLE_RESPONSE}`,
      ) +
      '\n' +
      traceback(
        SAMPLING_FRAMES,
        `ValueError: Error retrieving result: bad request (status 400) for self.request_id='${MINT_SAMPLE_ID}' — exceeded 3 retries`,
      ),
    expect: [
      [{ className: 'ValueError', family: 'builtin', status: 404, requestId: EMULATOR_ID }],
      [{ className: 'ValueError', family: 'builtin', status: 400, requestId: MINT_SAMPLE_ID }],
    ],
  },
  {
    name: 'builtin TimeoutError waiting for a result, and RuntimeError after exhausting sample retries',
    text:
      traceback(
        SAMPLING_FRAMES,
        `TimeoutError: Timeout of 60.0 seconds reached while waiting for result of self.request_id='${REQ_SAMPLE}'`,
      ) +
      '\n' +
      traceback([frame(`${PROJ}/eval.py`, 55, 'evaluate')], 'RuntimeError: Failed to sample after exhausting retries (5 attempts)'),
    expect: [
      [{ className: 'TimeoutError', family: 'builtin', requestId: REQ_SAMPLE, user: `${PROJ}/train.py:42` }],
      [{ className: 'RuntimeError', family: 'builtin', requestId: undefined, user: `${PROJ}/eval.py:55` }],
    ],
  },
  {
    name: 'id spellings: request_id=X unquoted, "request_id": "X", Request ID:, [request id X; trace id Y], X-Trace-Id',
    text:
      traceback(TRAINING_FRAMES, `tinker.APIStatusError: Error code: 502 - upstream failed request_id=${EMULATOR_ID}`) +
      '\n' +
      traceback(
        TRAINING_FRAMES,
        `tinker.InternalServerError: Error code: 503 - {"detail": "overloaded", "request_id": "${MINT_SAMPLE_ID}"}`,
      ) +
      '\n' +
      traceback(TRAINING_FRAMES, `tinker.TinkerError: save failed. Request ID: ${REQ_TRAIN}.`) +
      '\n' +
      traceback(TRAINING_FRAMES, `tinker.APIError: upload refused [request id ${EMULATOR_ID}; trace id ${'ab'.repeat(16)}]`) +
      '\n' +
      traceback(
        TRAINING_FRAMES,
        `tinker.APIResponseValidationError: Data returned by API invalid for expected schema. X-Trace-Id: ${'cd'.repeat(16)}`,
      ),
    expect: [
      [{ className: 'APIStatusError', status: 502, requestId: EMULATOR_ID }],
      [{ className: 'InternalServerError', status: 503, requestId: MINT_SAMPLE_ID, detail: 'overloaded' }],
      [{ className: 'TinkerError', requestId: REQ_TRAIN }],
      [{ className: 'APIError', requestId: EMULATOR_ID, traceId: 'ab'.repeat(16) }],
      [{ className: 'APIResponseValidationError', requestId: 'cd'.repeat(16), traceId: 'cd'.repeat(16) }],
    ],
  },
  {
    name: 'chain: RuntimeError raised from a RequestFailedError still reports the RequestFailedError with its own frames',
    text:
      traceback(SAMPLING_FRAMES, requestFailed('CUDA error: out of memory')) +
      '\nThe above exception was the direct cause of the following exception:\n\n' +
      traceback(
        [frame(`${PROJ}/train.py`, 95, '<module>', 'raise RuntimeError("training failed") from e')],
        'RuntimeError: training failed',
      ),
    expect: [
      [{ className: 'RequestFailedError', requestId: REQ_SAMPLE, detail: 'CUDA error: out of memory', user: `${PROJ}/train.py:42` }],
    ],
  },
  {
    name: 'chain of two MinT exceptions (During handling ...): both, cause first',
    text:
      traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429') +
      '\nDuring handling of the above exception, another exception occurred:\n\n' +
      traceback(
        [
          frame(`${PROJ}/sl_loop.py`, 81, 'train', 'training_client.save_state("emergency")'),
          frame(`${SITE}/tinker/_base_client.py`, 1014, 'request'),
        ],
        'tinker.APIConnectionError: Connection error.',
      ),
    expect: [
      [
        { className: 'RateLimitError', user: `${PROJ}/sl_loop.py:77` },
        { className: 'APIConnectionError', user: `${PROJ}/sl_loop.py:81` },
      ],
    ],
  },
  {
    name: 'multi-line server text: the request id is on a continuation line; the prompt after it is not part of the message',
    text:
      traceback(SAMPLING_FRAMES, 'tinker.RequestFailedError: Request failed: worker crashed:') +
      '  File "/srv/worker.py", line 10\n' +
      `RuntimeError: NCCL timeout for self.request_id='${REQ_SAMPLE}' and expected type self.model_cls=${SAMPLE_RESPONSE}\n` +
      '(.venv) me@box:~/proj$ ',
    expect: [
      [
        {
          className: 'RequestFailedError',
          requestId: REQ_SAMPLE,
          detail: 'worker crashed:\n  File "/srv/worker.py", line 10\nRuntimeError: NCCL timeout',
          message: /expected type self\.model_cls=<class 'tinker\.types\.sample_response\.SampleResponse'>$/,
        },
      ],
    ],
  },
  {
    name: 'notes run on after a message of no known shape (until a log line); not after a whole SDK message',
    text:
      traceback(TRAINING_FRAMES, 'tinker_cookbook.exceptions.DataFormatError: row 12 has no "messages" field') +
      'while reading data/train.jsonl\n' +
      '2025-01-04 10:22:31,004 - INFO - shutting down\n' +
      traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429') +
      'step 18 loss=0.31\n',
    expect: [
      [{ className: 'DataFormatError', family: 'cookbook', message: 'row 12 has no "messages" field\nwhile reading data/train.jsonl' }],
      [{ className: 'RateLimitError', message: 'Error code: 429' }],
    ],
  },
  {
    name: 'Windows paths (isUser under C:\\Users\\me\\proj)',
    isUser: (f) => f.startsWith('C:\\Users\\me\\proj\\'),
    text: traceback(
      [
        frame('C:\\Users\\me\\proj\\train.py', 12, '<module>', 'main()'),
        frame('C:\\Users\\me\\proj\\src\\loop.py', 40, 'main', 'out = sc.sample(prompt, 1, params).result()'),
        frame('C:\\Users\\me\\proj\\.venv\\Lib\\site-packages\\tinker\\lib\\api_future_impl.py', 210, '_result_async'),
        frame('C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python311\\Lib\\asyncio\\base_events.py', 653, 'run_until_complete'),
      ],
      requestFailed('model is loading'),
    ),
    expect: [[{ className: 'RequestFailedError', requestId: REQ_SAMPLE, user: 'C:\\Users\\me\\proj\\src\\loop.py:40' }]],
  },
  {
    name: 'paths with spaces, <frozen runpy>, <string>: the user frame is the deepest project file',
    isUser: (f) => f.startsWith('/home/me/My Projects/'),
    text: traceback(
      [
        frame('<frozen runpy>', 198, '_run_module_as_main'),
        frame('<frozen runpy>', 88, '_run_code'),
        frame('/home/me/My Projects/rl run/train.py', 7, '<module>', 'run()'),
        frame('<string>', 1, '<module>'),
        frame(`${SITE}/tinker/lib/api_future_impl.py`, 210, '_result_async'),
      ],
      'tinker.RateLimitError: Error code: 429',
    ),
    expect: [[{ className: 'RateLimitError', user: '/home/me/My Projects/rl run/train.py:7' }]],
  },
  {
    name: 'asyncio: Task exception was never retrieved, then the traceback',
    text:
      'Task exception was never retrieved\n' +
      `future: <Task finished name='Task-3' coro=<main() done, defined at ${PROJ}/train.py:10> exception=RateLimitError("Error code: 429 - {'detail': 'Too many concurrent sampling sessions'}")>\n` +
      traceback(
        [
          frame(`${PROJ}/train.py`, 14, 'main', 'await sampling_client.sample_async(prompt, 1, params)'),
          frame(`${SITE}/tinker/_base_client.py`, 1047, 'request'),
        ],
        "tinker.RateLimitError: Error code: 429 - {'detail': 'Too many concurrent sampling sessions'}",
      ),
    expect: [[{ className: 'RateLimitError', status: 429, detail: 'Too many concurrent sampling sessions', user: `${PROJ}/train.py:14` }]],
  },
  {
    name: 'RecursionError-style repeated frames and 3.11 carets are skipped',
    text: traceback(
      [
        frame(`${PROJ}/train.py`, 5, 'retry', 'return retry(n + 1)', '       ^^^^^^^^^^^^'),
        '  [Previous line repeated 996 more times]\n',
        frame(`${SITE}/tinker/lib/api_future_impl.py`, 210, '_result_async', 'x = a[0] + b', '    ~~~~^^^~~~'),
      ],
      'tinker.APIConnectionError: Connection error.',
    ),
    expect: [[{ className: 'APIConnectionError', user: `${PROJ}/train.py:5` }]],
  },
];

function check(ex: MintException, e: Expect, user: (file: string) => boolean, where: string): void {
  assert.equal(ex.className, e.className, where);
  const family = e.family ?? (COOKBOOK_CLASSES.includes(e.className) ? 'cookbook' : SDK_CLASSES.includes(e.className) ? 'sdk' : 'builtin');
  assert.equal(ex.family, family, `${where}: family`);
  if (e.qualifiedName) assert.equal(ex.qualifiedName, e.qualifiedName, `${where}: qualifiedName`);
  if ('requestId' in e) assert.equal(ex.requestId, e.requestId, `${where}: requestId`);
  if ('logId' in e) assert.equal(ex.logId, e.logId, `${where}: logId`);
  if ('traceId' in e) assert.equal(ex.traceId, e.traceId, `${where}: traceId`);
  if ('status' in e) assert.equal(ex.status, e.status, `${where}: status`);
  if ('detail' in e) assert.equal(ex.detail, e.detail, `${where}: detail`);
  if ('checkpoint' in e) assert.equal(ex.checkpoint, e.checkpoint, `${where}: checkpoint`);
  if (e.message instanceof RegExp) assert.match(ex.message, e.message, `${where}: message`);
  else if (e.message !== undefined) assert.equal(ex.message, e.message, `${where}: message`);
  if (e.user) {
    const f = userFrame(ex.frames, user);
    assert.ok(f, `${where}: no user frame in ${JSON.stringify(ex.frames)}`);
    assert.equal(`${f.file}:${f.line}`, e.user, `${where}: userFrame`);
  }
  assert.ok(!ex.message.includes(ESC), `${where}: ANSI left in message`);
}

function checkFindings(findings: TracebackFinding[], c: Case): void {
  assert.equal(
    findings.length,
    c.expect.length,
    `${c.name}: ${JSON.stringify(findings.map((f) => f.exceptions.map((x) => x.qualifiedName)))}`,
  );
  findings.forEach((f, i) => {
    const exp = c.expect[i]!;
    assert.equal(f.exceptions.length, exp.length, `${c.name} #${i}: ${f.exceptions.map((x) => x.qualifiedName).join(', ')}`);
    f.exceptions.forEach((ex, j) => check(ex, exp[j]!, c.isUser ?? isUser, `${c.name} #${i}.${j}`));
  });
}

function split(text: string, at: number[]): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const a of at) {
    out.push(text.slice(prev, a));
    prev = a;
  }
  out.push(text.slice(prev));
  return out;
}

function scanChunks(chunks: string[]): TracebackFinding[] {
  const s = new TracebackScanner();
  const out: TracebackFinding[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

const ESC = '\x1b';
const red = (s: string) => `${ESC}[1;31m${s}${ESC}[0m`;

// ---------------------------------------------------------------------------------------------

describe('python traceback scanner: MinT exceptions in terminal output', () => {
  describe('real-shaped tracebacks', () => {
    for (const c of CASES) {
      it(c.name, () => checkFindings(scanTracebacks(c.text), c));
    }

    it('the same tracebacks with CRLF line ends', () => {
      for (const c of CASES) checkFindings(scanTracebacks(c.text.replace(/\n/g, '\r\n')), { ...c, name: `${c.name} (CRLF)` });
    });

    it('the same tracebacks in 3.13 colours, each line red, inside shell-integration markers', () => {
      for (const c of CASES) {
        const coloured = `${ESC}]633;E;python train.py;nonce${ESC}\\${ESC}]633;C\x07${c.text
          .split('\n')
          .map((l) => (l ? red(l) : l))
          .join('\n')}\n${ESC}]633;D;1\x07${ESC}]633;A\x07me@box:~/proj$ ${ESC}]633;B\x07`;
        checkFindings(scanTracebacks(coloured), { ...c, name: `${c.name} (ANSI)` });
      }
    });

    it('endLine is the 0-based line of the last exception line of the chain', () => {
      const c = CASES.find((x) => x.name.startsWith('chain: RuntimeError'))!;
      const [f] = scanTracebacks(`noise\n${c.text}`);
      const lines = `noise\n${c.text}`.split('\n');
      assert.equal(lines[f!.endLine], 'RuntimeError: training failed');
      assert.equal(lines[f!.exceptions[0]!.line]!.slice(0, 26), 'tinker.RequestFailedError:');
    });

    it('frames are outermost first and include library frames', () => {
      const [f] = scanTracebacks(CASES[0]!.text);
      const frames = f!.exceptions[0]!.frames;
      assert.deepEqual(frames[0], { file: `${PROJ}/train.py`, line: 88, func: '<module>' });
      assert.deepEqual(frames.at(-1), { file: `${SITE}/tinker/lib/api_future_impl.py`, line: 210, func: '_result_async' });
      assert.equal(frames.length, 5);
    });

    it('every SDK and cookbook class is recognised under each of its printed prefixes', () => {
      const prefixes: [string, 'sdk' | 'cookbook'][] = [
        ...['tinker.', 'tinker._exceptions.', 'mint.', 'mint.tinker.'].map((p) => [p, 'sdk'] as [string, 'sdk']),
        ...['tinker_cookbook.exceptions.', 'tinker_cookbook.', 'mint_cookbook.'].map((p) => [p, 'cookbook'] as [string, 'cookbook']),
      ];
      let n = 0;
      for (const [prefix, family] of prefixes) {
        for (const cls of family === 'sdk' ? SDK_CLASSES : COOKBOOK_CLASSES) {
          const [f, ...rest] = scanTracebacks(traceback(TRAINING_FRAMES, `${prefix}${cls}: it failed`));
          assert.equal(rest.length, 0);
          assert.equal(f?.exceptions[0]?.className, cls, `${prefix}${cls}`);
          assert.equal(f.exceptions[0]!.family, family);
          assert.equal(f.exceptions[0]!.qualifiedName, `${prefix}${cls}`);
          n++;
        }
      }
      assert.equal(n, 4 * SDK_CLASSES.length + 3 * COOKBOOK_CLASSES.length);
    });

    it('class lists hold the SDK and cookbook names', () => {
      for (const c of ['RequestFailedError', 'APIStatusError', 'SidecarIPCError', 'RetryableException', 'UnprocessableEntityError'])
        assert.ok(SDK_CLASSES.includes(c), c);
      for (const c of ['TinkerCookbookError', 'BenchmarkNotFoundError', 'WeightsAdapterError', 'EvalGradingError'])
        assert.ok(COOKBOOK_CLASSES.includes(c), c);
      assert.equal(SDK_CLASSES.length, 20);
      assert.equal(COOKBOOK_CLASSES.length, 18);
      assert.equal(new Set([...SDK_CLASSES, ...COOKBOOK_CLASSES]).size, 38);
    });
  });

  describe('real CPython 3.11 output (fixtures/)', () => {
    const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/unit/python/fixtures', `${name}.txt`), 'utf8');
    const COMMON = `${PROJ}/common.py:7`;
    const REQUEST_FAILED_TAIL = ` for self.request_id='${REQ_SAMPLE}' and expected type self.model_cls=${SAMPLE_RESPONSE}`;
    const FIXTURES: { file: string; expect: Expect[][]; endLine?: string }[] = [
      {
        file: 'plain',
        expect: [
          [
            {
              className: 'RequestFailedError',
              requestId: REQ_SAMPLE,
              detail: 'prompt exceeds the model context window (40960 > 32768)',
              message: `Request failed: prompt exceeds the model context window (40960 > 32768)${REQUEST_FAILED_TAIL}`,
              user: COMMON,
            },
          ],
        ],
      },
      {
        file: 'chained',
        expect: [[{ className: 'RequestFailedError', requestId: REQ_SAMPLE, detail: 'CUDA error: out of memory', user: COMMON }]],
        endLine: 'RuntimeError: training failed',
      },
      {
        file: 'during',
        expect: [
          [
            { className: 'RateLimitError', status: 429, message: 'Error code: 429', user: COMMON },
            { className: 'APIConnectionError', message: 'Connection error.', user: COMMON },
          ],
        ],
        endLine: 'tinker.APIConnectionError: Connection error.',
      },
      {
        file: 'taskgroup',
        expect: [
          [
            { className: 'RequestFailedError', requestId: REQ_SAMPLE, detail: 'sampler crashed', user: `${PROJ}/taskgroup.py:5` },
            { className: 'InternalServerError', status: 500, logId: LOG_ID, requestId: LOG_ID, user: `${PROJ}/taskgroup.py:10` },
          ],
        ],
      },
      {
        file: 'nested_last',
        expect: [
          [
            {
              className: 'UnprocessableEntityError',
              status: 422,
              detail: 'body.max_tokens: field required',
              user: `${PROJ}/nested_last.py:14`,
            },
            { className: 'RateLimitError', status: 429, user: `${PROJ}/nested_last.py:5` },
            {
              className: 'AllTrajectoriesFailedError',
              family: 'cookbook',
              message: 'All 16 trajectories in group 3 failed',
              user: `${PROJ}/nested_last.py:8`,
            },
          ],
        ],
      },
      {
        file: 'never_retrieved',
        expect: [
          [
            {
              className: 'RateLimitError',
              status: 429,
              detail: 'Too many concurrent sampling sessions',
              message: "Error code: 429 - {'detail': 'Too many concurrent sampling sessions'}",
              user: `${PROJ}/never_retrieved.py:5`,
            },
          ],
        ],
      },
      {
        file: 'note',
        expect: [
          // "Error code: 429" is a whole SDK message: notes after it cannot be told from ordinary output.
          [{ className: 'RateLimitError', status: 429, message: 'Error code: 429' }],
        ],
      },
      {
        file: 'recursion',
        expect: [
          [{ className: 'ValueError', family: 'builtin', status: 404, detail: 'Future not found', requestId: REQ_SAMPLE, user: COMMON }],
        ],
      },
      {
        file: 'group_cause',
        expect: [
          [
            { className: 'RateLimitError', user: COMMON },
            { className: 'APIConnectionError', user: COMMON },
          ],
        ],
        endLine: 'RuntimeError: giving up',
      },
      {
        file: 'multiline',
        expect: [
          [
            {
              className: 'RequestFailedError',
              requestId: REQ_SAMPLE,
              detail:
                'worker crashed:\nTraceback (most recent call last):\n  File "/srv/worker.py", line 10, in run\nRuntimeError: NCCL timeout',
              user: COMMON,
            },
          ],
        ],
      },
      { file: 'keyerror', expect: [] },
    ];

    for (const f of FIXTURES) {
      it(`${f.file}.txt`, () => {
        const text = fixture(f.file);
        const found = scanTracebacks(text);
        checkFindings(found, { name: f.file, text, expect: f.expect });
        if (f.endLine) assert.equal(text.split('\n')[found[0]!.endLine], f.endLine);
        // The same bytes as a Windows console delivers them, and in one-character chunks.
        assert.deepEqual(scanTracebacks(text.replace(/\n/g, '\r\n')), found);
        assert.deepEqual(scanChunks([...text]), found);
      });
    }

    it('nested_last.txt: the innermost sub-exception gets the frames of both groups, then its own', () => {
      const [f] = scanTracebacks(fixture('nested_last'));
      assert.deepEqual(
        f!.exceptions[1]!.frames.map((x) => `${x.file.split('/').pop()}:${x.line}`),
        [
          'nested_last.py:19',
          'runners.py:190',
          'runners.py:118',
          'base_events.py:653',
          'nested_last.py:16',
          'taskgroups.py:145',
          'nested_last.py:10',
          'taskgroups.py:145',
          'nested_last.py:5',
          'api_future_impl.py:20',
        ],
      );
    });

    it('recursion.txt keeps every printed frame, outermost first', () => {
      const [f] = scanTracebacks(fixture('recursion'));
      const frames = f!.exceptions[0]!.frames;
      assert.equal(frames.length, 11);
      assert.deepEqual(frames[0], { file: `${PROJ}/recursion.py`, line: 6, func: '<module>' });
      assert.equal(frames[4]!.line, 4);
    });

    it('all fixtures back to back, as one run of output, in random chunks', () => {
      const names = FIXTURES.map((f) => f.file);
      const text = names.map(fixture).join('');
      const whole = scanTracebacks(text);
      assert.equal(whole.length, FIXTURES.filter((f) => f.expect.length).length);
      assert.deepEqual(
        whole.map((w) => w.exceptions.length),
        FIXTURES.filter((f) => f.expect.length).map((f) => f.expect[0]!.length),
      );
      const r = rng(3);
      for (let k = 0; k < 20; k++) {
        const cuts = Array.from({ length: 50 }, () => Math.floor(r() * text.length)).sort((a, b) => a - b);
        assert.deepEqual(scanChunks(split(text, cuts)), whole);
      }
    });
  });

  describe('what is not MinT', () => {
    it('a plain KeyError traceback gives nothing', () => {
      assert.deepEqual(scanTracebacks(traceback([frame(`${PROJ}/data.py`, 3, 'load', "row['prompt']")], "KeyError: 'prompt'")), []);
    });

    it("another SDK's RateLimitError, a bare RateLimitError (__main__) and a ValueError without the SDK's markers give nothing", () => {
      const text =
        traceback(TRAINING_FRAMES, "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached'}}") +
        '\n' +
        traceback([frame(`${PROJ}/x.py`, 1, '<module>')], 'RateLimitError: my own') +
        '\n' +
        traceback([frame(`${PROJ}/x.py`, 1, '<module>')], "ValueError: request_id must be a string, got None (see 'Error code' docs)") +
        '\n' +
        traceback([frame(`${PROJ}/x.py`, 1, '<module>')], 'tinkerer.RateLimitError: Error code: 429');
      assert.deepEqual(scanTracebacks(text), []);
    });

    it('an unknown *Error under the tinker namespace counts (newer SDK), an unknown non-error name does not', () => {
      const found = scanTracebacks(
        traceback(TRAINING_FRAMES, 'tinker.QuotaExceededError: monthly GPU hours used up') +
          '\n' +
          traceback(TRAINING_FRAMES, 'tinker.types.Datum: not an exception name'),
      );
      assert.equal(found.length, 1);
      assert.equal(found[0]!.exceptions[0]!.className, 'QuotaExceededError');
    });
  });

  describe('ExceptionGroup', () => {
    const TG_TEXT =
      '  + Exception Group Traceback (most recent call last):\n' +
      `  |   File "${PROJ}/rl_train.py", line 60, in <module>\n` +
      '  |     asyncio.run(main())\n' +
      '  |   File "/usr/lib/python3.11/asyncio/runners.py", line 190, in run\n' +
      '  |     return runner.run(main)\n' +
      '  |            ^^^^^^^^^^^^^^^^\n' +
      `  |   File "${PROJ}/rl_train.py", line 50, in main\n` +
      '  |     async with asyncio.TaskGroup() as tg:\n' +
      '  |   File "/usr/lib/python3.11/asyncio/taskgroups.py", line 145, in __aexit__\n' +
      '  |     raise me from None\n' +
      '  | ExceptionGroup: unhandled errors in a TaskGroup (3 sub-exceptions)\n' +
      '  +-+---------------- 1 ----------------\n' +
      '    | Traceback (most recent call last):\n' +
      `    |   File "${PROJ}/rl_train.py", line 31, in rollout\n` +
      '    |     resp = await sampling_client.sample_async(prompt, 4, params)\n' +
      `    |   File "${SITE}/tinker/lib/api_future_impl.py", line 210, in _result_async\n` +
      '    |     raise RequestFailedError(\n' +
      `    | ${requestFailed('sampler crashed')}\n` +
      '    +---------------- 2 ----------------\n' +
      '    | Traceback (most recent call last):\n' +
      `    |   File "${PROJ}/rl_train.py", line 35, in grade\n` +
      "    |     score = rows['score']\n" +
      "    | KeyError: 'score'\n" +
      '    +---------------- 3 ----------------\n' +
      '    | Traceback (most recent call last):\n' +
      `    |   File "${PROJ}/rl_train.py", line 40, in save\n` +
      `    |   File "${SITE}/tinker/_base_client.py", line 1047, in request\n` +
      `    | tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${LOG_ID}'}\n` +
      '    | while saving checkpoint step-20\n' +
      '    +------------------------------------\n';

    it('each MinT sub-exception is reported, with the group frames followed by its own', () => {
      const found = scanTracebacks(`${TG_TEXT}me@box:~/proj$ \n`);
      assert.equal(found.length, 1);
      const [a, b] = found[0]!.exceptions;
      assert.equal(found[0]!.exceptions.length, 2);
      assert.equal(a!.className, 'RequestFailedError');
      assert.equal(a!.requestId, REQ_SAMPLE);
      assert.deepEqual(
        a!.frames.map((f) => `${f.func}:${f.line}`),
        ['<module>:60', 'run:190', 'main:50', '__aexit__:145', 'rollout:31', '_result_async:210'],
      );
      assert.equal(userFrame(a!.frames, isUser)?.line, 31);
      assert.equal(b!.className, 'InternalServerError');
      assert.equal(b!.logId, LOG_ID);
      assert.equal(
        b!.message,
        `Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${LOG_ID}'}\nwhile saving checkpoint step-20`,
      );
      assert.equal(userFrame(b!.frames, isUser)?.line, 40);
      assert.equal(
        found[0]!.endLine,
        TG_TEXT.split('\n').findIndex((l) => l.includes('tinker.InternalServerError')),
      );
    });

    it('nested groups, a sub-exception with a chain, one without a traceback and "and N more exceptions"', () => {
      const text =
        'epoch 3\n' +
        '  + Exception Group Traceback (most recent call last):\n' +
        `  |   File "${PROJ}/eval.py", line 90, in <module>\n` +
        '  | ExceptionGroup: eval failed (3 sub-exceptions)\n' +
        '  +-+---------------- 1 ----------------\n' +
        '    | Exception Group Traceback (most recent call last):\n' +
        `    |   File "${PROJ}/eval.py", line 70, in run_suite\n` +
        '    | ExceptionGroup: suite gsm8k (2 sub-exceptions)\n' +
        '    +-+---------------- 1 ----------------\n' +
        '      | Traceback (most recent call last):\n' +
        `      |   File "${SITE}/httpx/_transports/default.py", line 101, in map_httpcore_exceptions\n` +
        '      | httpx.ReadTimeout: timed out\n' +
        '      | \n' +
        '      | The above exception was the direct cause of the following exception:\n' +
        '      | \n' +
        '      | Traceback (most recent call last):\n' +
        `      |   File "${PROJ}/eval.py", line 20, in ask\n` +
        '      | tinker.APITimeoutError: Request timed out.\n' +
        '      +---------------- 2 ----------------\n' +
        `      | tinker_cookbook.exceptions.EvalGradingError: grader returned no score for item 17\n` +
        '      +------------------------------------\n' +
        '    +---------------- 2 ----------------\n' +
        '    | Traceback (most recent call last):\n' +
        `    |   File "${PROJ}/eval.py", line 75, in run_suite\n` +
        '    | tinker.RateLimitError: Error code: 429\n' +
        '    +---------------- ... ----------------\n' +
        '    | and 1 more exception\n' +
        '    +------------------------------------\n' +
        '\n' +
        'The above exception was the direct cause of the following exception:\n' +
        '\n' +
        traceback([frame(`${PROJ}/eval.py`, 95, '<module>')], 'SystemExit: 1') +
        'done\n';
      const found = scanTracebacks(text);
      assert.equal(found.length, 1);
      const ex = found[0]!.exceptions;
      assert.deepEqual(
        ex.map((e) => e.className),
        ['APITimeoutError', 'EvalGradingError', 'RateLimitError'],
      );
      assert.deepEqual(
        ex[0]!.frames.map((f) => f.line),
        [90, 70, 20],
      );
      assert.deepEqual(
        ex[1]!.frames.map((f) => f.line),
        [90, 70],
      );
      assert.deepEqual(
        ex[2]!.frames.map((f) => f.line),
        [90, 75],
      );
      assert.equal(text.split('\n')[found[0]!.endLine], 'SystemExit: 1');
    });

    it('a group caused by a MinT exception and a group after a chain message', () => {
      const text =
        traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429') +
        '\nDuring handling of the above exception, another exception occurred:\n\n' +
        '  + Exception Group Traceback (most recent call last):\n' +
        `  |   File "${PROJ}/sl_loop.py", line 130, in <module>\n` +
        '  | ExceptionGroup: cleanup failed (1 sub-exception)\n' +
        '  +-+---------------- 1 ----------------\n' +
        '    | Traceback (most recent call last):\n' +
        `    |   File "${PROJ}/sl_loop.py", line 125, in cleanup\n` +
        "    | tinker.NotFoundError: Error code: 404 - {'detail': 'Unknown model_id'}\n" +
        '    +------------------------------------\n';
      const found = scanTracebacks(text);
      assert.equal(found.length, 1);
      assert.deepEqual(
        found[0]!.exceptions.map((e) => `${e.className}:${userFrame(e.frames, isUser)?.line}`),
        ['RateLimitError:77', 'NotFoundError:125'],
      );
      assert.equal(found[0]!.exceptions[1]!.detail, 'Unknown model_id');
    });

    it('a deeply nested group (40 levels) finds the innermost MinT exception with all group frames', () => {
      let text = '  + Exception Group Traceback (most recent call last):\n';
      text += `  |   File "${PROJ}/deep.py", line 1, in <module>\n  | ExceptionGroup: level 0 (1 sub-exception)\n`;
      let depth = 1;
      for (let level = 1; level < 40; level++) {
        const ind = '  '.repeat(depth);
        text += `${ind}+-+---------------- 1 ----------------\n`;
        depth++;
        const m = '  '.repeat(depth);
        text += `${m}| Exception Group Traceback (most recent call last):\n${m}|   File "${PROJ}/deep.py", line ${level + 1}, in f${level}\n${m}| ExceptionGroup: level ${level} (1 sub-exception)\n`;
      }
      const ind = '  '.repeat(depth);
      text += `${ind}+-+---------------- 1 ----------------\n`;
      const m = '  '.repeat(depth + 1);
      text += `${m}| Traceback (most recent call last):\n${m}|   File "${PROJ}/deep.py", line 99, in leaf\n${m}| tinker.SidecarIPCError: pipe closed\n${m}+------------------------------------\n`;
      const found = scanTracebacks(text);
      assert.equal(found.length, 1);
      const e = found[0]!.exceptions[0]!;
      assert.equal(e.className, 'SidecarIPCError');
      assert.equal(e.frames.length, 41);
      assert.equal(e.frames.at(-1)!.line, 99);
    });
  });

  describe('streaming', () => {
    const sample =
      `${ESC}]633;C\x07step 1/100 loss=2.31\r\n` +
      '  5%|▌         | 5/100 [00:01<00:19,  4.9it/s]\r 10%|█         | 10/100 [00:02<00:18,  4.9it/s]' +
      traceback(SAMPLING_FRAMES, red(requestFailed('sampler restarted'))).replace(/\n/g, '\r\n') +
      '\r\nThe above exception was the direct cause of the following exception:\r\n\r\n' +
      traceback([frame(`${PROJ}/train.py`, 95, '<module>')], 'RuntimeError: training failed').replace(/\n/g, '\r\n') +
      `${ESC}]633;D;1${ESC}\\${ESC}]633;A${ESC}\\(.venv) me@box:~/proj$ `;

    it('a progress bar glued before "Traceback" (no newline) still starts the traceback', () => {
      const found = scanTracebacks(sample);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.exceptions[0]!.requestId, REQ_SAMPLE);
      assert.equal(found[0]!.exceptions[0]!.detail, 'sampler restarted');
    });

    it('gives identical findings for the sample split at every position', () => {
      const whole = scanTracebacks(sample);
      assert.equal(whole.length, 1);
      for (let i = 0; i <= sample.length; i++) {
        assert.deepEqual(scanChunks(split(sample, [i])), whole, `split at ${i}`);
      }
    });

    it('gives identical findings for random chunkings of all the cases and for one-character chunks', () => {
      const text = CASES.map((c) => c.text).join('\nsome output in between\n') + sample;
      const whole = scanTracebacks(text);
      assert.ok(whole.length >= CASES.length);
      const r = rng(7);
      for (let k = 0; k < 30; k++) {
        const cuts = Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * text.length)).sort((a, b) => a - b);
        assert.deepEqual(scanChunks(split(text, cuts)), whole, `random chunking ${k}`);
      }
      assert.deepEqual(scanChunks([...sample]), scanTracebacks(sample));
    });

    it('returns a finding from the push that completes it: the shell-integration marker ends the traceback at once', () => {
      const s = new TracebackScanner();
      assert.deepEqual(s.push(traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429')), []);
      const got = s.push(`${ESC}]633;D;1\x07`);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.exceptions[0]!.className, 'RateLimitError');
      assert.deepEqual(s.end(), []);
    });

    it('a traceback logged by a script that carries on is returned as soon as the next line arrives', () => {
      const s = new TracebackScanner();
      const logged = `ERROR:root:sampling failed\n${traceback(SAMPLING_FRAMES, requestFailed('sampler restarted'))}`;
      assert.deepEqual(s.push(logged), []);
      const got = s.push('step 18 loss=0.31\n');
      assert.equal(got.length, 1);
      assert.equal(got[0]!.exceptions[0]!.message, requestFailed('sampler restarted').slice('tinker.RequestFailedError: '.length));
      // A server text over several lines ends with the f-string's tail too.
      assert.deepEqual(s.push(traceback(SAMPLING_FRAMES, 'tinker.RequestFailedError: Request failed: worker crashed:')), []);
      assert.deepEqual(s.push(`Traceback (most recent call last):\n\n  File "/srv/w.py", line 3, in run\n`), []);
      const [f] = s.push(
        `OSError: disk full for self.request_id='${REQ_TRAIN}' and expected type self.model_cls=${SAMPLE_RESPONSE}\ndone\n`,
      );
      assert.equal(f!.exceptions.length, 1);
      assert.equal(f!.exceptions[0]!.requestId, REQ_TRAIN);
      assert.equal(
        f!.exceptions[0]!.detail,
        'worker crashed:\nTraceback (most recent call last):\n\n  File "/srv/w.py", line 3, in run\nOSError: disk full',
      );
      assert.deepEqual(s.end(), []);
    });

    it('end() flushes a finding still open and resets line numbers for the next run', () => {
      const s = new TracebackScanner();
      const text = `a\nb\n${traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429')}`;
      assert.deepEqual(s.push(text), []);
      const [f] = s.end();
      assert.equal(f!.endLine, text.split('\n').indexOf('tinker.RateLimitError: Error code: 429'));
      assert.deepEqual(s.push(text), []);
      assert.equal(s.end()[0]!.endLine, f!.endLine);
    });

    it('line numbers count every \\n, including CRLF and lines rewritten by \\r', () => {
      const text = `one\r\ntwo\r\n 50%|█████\r100%|██████████\n${traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429')}`;
      const [f] = scanTracebacks(text);
      assert.equal(
        f!.endLine,
        text.split('\n').findIndex((l) => l.startsWith('tinker.RateLimitError')),
      );
    });

    it('reports queue-paused lines through onPaused; a paused line ends an open message', () => {
      const paused: PausedFinding[] = [];
      const text =
        'Model creation for meta-llama/Llama-3.2-1B is paused. Reason: Tinker backend is running short on capacity, please wait.\n' +
        traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429') +
        `WARNING:tinker.lib.public_interfaces.sampling_client:Sampling is paused for sampler ${REQ_SAMPLE.slice(0, 36)}. Reason: concurrent sampler weights limit hit\n` +
        `2025-01-04 10:00:00 WARNING Training for ${REQ_TRAIN.slice(0, 36)}:train:0 is paused. Reason: concurrent training clients rate limit hit.\n`;
      const found = scanTracebacks(text, { onPaused: (p) => paused.push(p) });
      assert.equal(found.length, 1);
      assert.equal(found[0]!.exceptions[0]!.message, 'Error code: 429');
      assert.deepEqual(paused, [
        {
          kind: 'paused',
          line: 0,
          operation: 'Model creation',
          subject: 'meta-llama/Llama-3.2-1B',
          reason: 'Tinker backend is running short on capacity, please wait',
        },
        {
          kind: 'paused',
          line: text.split('\n').findIndex((l) => l.includes('Sampling is paused')),
          operation: 'Sampling',
          subject: REQ_SAMPLE.slice(0, 36),
          reason: 'concurrent sampler weights limit hit',
        },
        {
          kind: 'paused',
          line: text.split('\n').findIndex((l) => l.includes('Training for')),
          operation: 'Training',
          subject: `${REQ_TRAIN.slice(0, 36)}:train:0`,
          reason: 'concurrent training clients rate limit hit',
        },
      ]);
      assert.equal(parsePausedLine('the job is paused. Reason: none'), undefined);
    });
  });

  describe('truncated output', () => {
    it('a traceback cut before its exception line gives nothing', () => {
      assert.deepEqual(scanTracebacks(`Traceback (most recent call last):\n${TRAINING_FRAMES.join('')}`), []);
      assert.deepEqual(scanTracebacks(`Traceback (most recent call last):\n${TRAINING_FRAMES.join('')}\nnext run\n`), []);
    });

    it('a chain cut in its second traceback still reports the MinT exception printed in full', () => {
      const text =
        traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429') +
        '\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n' +
        frame(`${PROJ}/sl_loop.py`, 81, 'train');
      const found = scanTracebacks(text);
      assert.equal(found.length, 1);
      assert.deepEqual(
        found[0]!.exceptions.map((e) => e.className),
        ['RateLimitError'],
      );
    });

    it('a last line cut mid-name gives nothing; a complete known name or a name followed by ":" counts', () => {
      const head = `Traceback (most recent call last):\n${TRAINING_FRAMES.join('')}`;
      assert.deepEqual(scanTracebacks(`${head}tinker.RateLimitErr`), []);
      assert.deepEqual(scanTracebacks(`${head}tinker.Rate`), []);
      assert.deepEqual(scanTracebacks(`${head}tinker.QuotaExceededError`), []);
      assert.equal(scanTracebacks(`${head}tinker.RateLimitError`)[0]?.exceptions[0]?.className, 'RateLimitError');
      // A chain whose last exception line is cut mid-name: endLine stays on the last whole exception line.
      const chain = `${traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429')}\nDuring handling of the above exception, another exception occurred:\n\n${head}RuntimeEr`;
      const [c] = scanTracebacks(chain);
      assert.equal(chain.split('\n')[c!.endLine], 'tinker.RateLimitError: Error code: 429');
      const cut = scanTracebacks(`${head}tinker.InternalServerError: Error code: 50`);
      assert.equal(cut[0]?.exceptions[0]?.className, 'InternalServerError');
      assert.equal(cut[0]!.exceptions[0]!.status, undefined);
    });

    it('a cut FastAPI body still yields its detail', () => {
      const [f] = scanTracebacks(
        traceback(TRAINING_FRAMES, "tinker.InternalServerError: Error code: 500 - {'detail': 'disk full on node 7', 'extra': [1, 2"),
      );
      assert.equal(f!.exceptions[0]!.detail, 'disk full on node 7');
    });
  });

  describe('bad input: bounded time and memory', () => {
    const BOUND_MS = 2000;

    it('10 MB of output with 1,000 tracebacks, in 64 KiB chunks and in one piece', () => {
      const r = rng(1);
      const parts: string[] = [];
      let size = 0;
      let n = 0;
      const per = 10_000_000 / 1000;
      while (n < 1000) {
        let block = '';
        while (block.length < per) {
          const x = r();
          block +=
            x < 0.5
              ? `step ${Math.floor(r() * 1e5)} loss=${r().toFixed(4)} lr=2e-5 tokens=${Math.floor(r() * 1e6)}\n`
              : x < 0.8
                ? ` ${Math.floor(r() * 100)}%|████▌     | ${Math.floor(r() * 500)}/500 [00:10<00:12,  4.5it/s]\r`
                : `2025-01-04 10:22:${String(Math.floor(r() * 60)).padStart(2, '0')},004 - INFO - sampled ${Math.floor(r() * 64)} completions\n`;
        }
        block += '\n' + traceback(SAMPLING_FRAMES, requestFailed(`error ${n}`, `${REQ_SAMPLE.slice(0, 36)}:sample:0:${n}`));
        parts.push(block);
        size += block.length;
        n++;
      }
      const text = parts.join('');
      assert.ok(size >= 10_000_000);
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += 65536) chunks.push(text.slice(i, i + 65536));
      const a = timed(() => scanChunks(chunks));
      const b = timed(() => scanTracebacks(text));
      assert.equal(a.value.length, 1000);
      assert.deepEqual(
        a.value.map((f) => f.exceptions[0]!.requestId),
        Array.from({ length: 1000 }, (_, i) => `${REQ_SAMPLE.slice(0, 36)}:sample:0:${i}`),
      );
      assert.deepEqual(b.value, a.value);
      assert.ok(a.ms < BOUND_MS && b.ms < BOUND_MS, `${a.ms.toFixed(0)} ms / ${b.ms.toFixed(0)} ms`);
    });

    it('binary junk (control bytes, lone surrogates, stray escapes) gives nothing and does not disturb the next traceback', () => {
      const r = rng(2);
      let junk = '';
      for (let i = 0; i < 2_000_000; i++) {
        const x = r();
        junk += String.fromCharCode(x < 0.05 ? 0xd800 + Math.floor(r() * 0x800) : Math.floor(r() * 256));
      }
      const t = timed(() => scanTracebacks(junk));
      assert.deepEqual(t.value, []);
      assert.ok(t.ms < BOUND_MS, `${t.ms} ms`);
      const [f, ...rest] = scanTracebacks(`${junk}\n${traceback(SAMPLING_FRAMES, requestFailed('bad \ud800 byte'))}`);
      assert.equal(rest.length, 0);
      assert.equal(f!.exceptions[0]!.requestId, REQ_SAMPLE);
      assert.equal(f!.exceptions[0]!.detail, 'bad \ufffd byte');
    });

    it('one 10 MB line without newlines, in chunks and whole; output after it still parses', () => {
      const line = 'x'.repeat(10_000_000);
      const tb = traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429');
      const chunks: string[] = [];
      for (let i = 0; i < line.length; i += 65536) chunks.push(line.slice(i, i + 65536));
      const a = timed(() => scanChunks([...chunks, '\n', tb]));
      const b = timed(() => scanTracebacks(`${line}\n${tb}`));
      const c = timed(() => scanTracebacks(line));
      assert.equal(a.value.length, 1);
      assert.deepEqual(b.value, a.value);
      assert.equal(a.value[0]!.endLine, 1 + tb.split('\n').indexOf('tinker.RateLimitError: Error code: 429'));
      assert.deepEqual(c.value, []);
      for (const x of [a, b, c]) assert.ok(x.ms < BOUND_MS, `${x.ms} ms`);
    });

    it('a 10 MB progress bar redrawn with \\r keeps only the last redraw', () => {
      let bar = '';
      for (let i = 0; bar.length < 10_000_000; i++) bar += `\r${i % 100}%|████▌     | ${i}/1000000 [00:10<00:12,  4.5it/s]`;
      const t = timed(() => scanChunks([bar, `\r${traceback(TRAINING_FRAMES, 'tinker.RateLimitError: Error code: 429')}`]));
      assert.equal(t.value.length, 1);
      assert.equal(t.value[0]!.exceptions[0]!.className, 'RateLimitError');
      assert.ok(t.ms < BOUND_MS, `${t.ms} ms`);
    });

    it('a 20 KiB exception line keeps the request id printed at its end; the message is capped at 4 KiB', () => {
      const [f] = scanTracebacks(traceback(SAMPLING_FRAMES, requestFailed(`boom ${'y'.repeat(20_000)}`)));
      const e = f!.exceptions[0]!;
      assert.equal(e.requestId, REQ_SAMPLE);
      assert.ok(e.message.length <= 4097, String(e.message.length));
      assert.ok(e.message.endsWith('…'));
    });

    it('a 100,000-frame traceback keeps the first 50 and the last 200 frames', () => {
      const frames: string[] = [];
      for (let i = 0; i < 100_000; i++) frames.push(frame(`${PROJ}/rec.py`, i + 1, `f${i}`, `return f${i + 1}()`));
      const text = traceback(frames, 'tinker.APIConnectionError: Connection error.');
      const t = timed(() => scanTracebacks(text));
      assert.equal(t.value.length, 1);
      const e = t.value[0]!.exceptions[0]!;
      assert.equal(e.frames.length, 250);
      assert.equal(e.framesOmitted, 99_750);
      assert.equal(e.frames[0]!.line, 1);
      assert.equal(e.frames[49]!.line, 50);
      assert.equal(e.frames[50]!.line, 99_801);
      assert.equal(e.frames[249]!.line, 100_000);
      assert.equal(userFrame(e.frames, isUser)?.func, 'f99999');
      assert.ok(t.ms < BOUND_MS, `${t.ms} ms`);
    });

    it('100,000 frames in 1,000 chunks: the same', () => {
      const frames: string[] = [];
      for (let i = 0; i < 100_000; i++) frames.push(frame(`${PROJ}/rec.py`, i + 1, `f${i}`));
      const text = traceback(frames, 'tinker.APIConnectionError: Connection error.');
      const step = Math.ceil(text.length / 1000);
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += step) chunks.push(text.slice(i, i + step));
      assert.deepEqual(scanChunks(chunks), scanTracebacks(text));
    });
  });

  describe('findLinks', () => {
    const linkCases: { line: string; links: [LineLink['kind'], string, string?][] }[] = [
      {
        line: requestFailed('boom'),
        links: [
          ['exceptionClass', 'tinker.RequestFailedError', 'RequestFailedError'],
          ['requestId', REQ_SAMPLE],
        ],
      },
      {
        line: `future: <Task finished name='Task-3' coro=<main() done, defined at ${PROJ}/train.py:10> exception=RateLimitError("Error code: 429 - {'detail': 'slow down', 'request_id': '${MINT_SAMPLE_ID}'}")>`,
        links: [
          ['exceptionClass', 'RateLimitError', 'RateLimitError'],
          ['requestId', MINT_SAMPLE_ID],
        ],
      },
      {
        line: `tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${LOG_ID}'}`,
        links: [
          ['exceptionClass', 'tinker.InternalServerError', 'InternalServerError'],
          ['logId', LOG_ID],
        ],
      },
      {
        line: `[MinT] sample: failed [request id ${EMULATOR_ID}; trace id ${'ab'.repeat(16)}]`,
        links: [
          ['requestId', EMULATOR_ID],
          ['traceId', 'ab'.repeat(16)],
        ],
      },
      { line: `< x-request-id: ${REQ_TRAIN}`, links: [['requestId', REQ_TRAIN]] },
      { line: `X-Trace-Id: ${'cd'.repeat(16)}`, links: [['traceId', 'cd'.repeat(16)]] },
      { line: `Request ID: ${REQ_TRAIN}.`, links: [['requestId', REQ_TRAIN]] },
      { line: `retrying request_id=${EMULATOR_ID}, attempt 2`, links: [['requestId', EMULATOR_ID]] },
      { line: `{"request_id": "${MINT_SAMPLE_ID}", "status": "pending"}`, links: [['requestId', MINT_SAMPLE_ID]] },
      {
        line: `Promise expired/broken for request ${REQ_SAMPLE} (see tinker.lib.retryable_exception.RetryableException)`,
        links: [
          ['requestId', REQ_SAMPLE],
          ['exceptionClass', 'tinker.lib.retryable_exception.RetryableException', 'RetryableException'],
        ],
      },
      {
        line: `saved tinker://${REQ_TRAIN.slice(0, 36)}:train:0/sampler_weights/step-0100, state at mint://run-9/weights/ckpt_3fa85f6457b1.`,
        links: [
          ['checkpoint', `tinker://${REQ_TRAIN.slice(0, 36)}:train:0/sampler_weights/step-0100`],
          ['checkpoint', 'mint://run-9/weights/ckpt_3fa85f6457b1'],
        ],
      },
      { line: 'loaded ckpt_3fa85f6457b1 (12 files)', links: [['checkpoint', 'ckpt_3fa85f6457b1']] },
      {
        line: "<class 'tinker_cookbook.exceptions.DataFormatError'> and mint_cookbook.WeightsMergeError: x",
        links: [
          ['exceptionClass', 'tinker_cookbook.exceptions.DataFormatError', 'DataFormatError'],
          ['exceptionClass', 'mint_cookbook.WeightsMergeError', 'WeightsMergeError'],
        ],
      },
      { line: `ValueError: Error retrieving result: x for self.request_id='${EMULATOR_ID}'`, links: [['requestId', EMULATOR_ID]] },
      // Never inside a longer word, never a half path, never request_id=None.
      { line: 'tinker.RateLimitErrorX: notinker.RateLimitError mytinker.NotFoundError RateLimitErrors(', links: [] },
      { line: 'xrequest_id=abc123456 the request id is missing; request_id=None', links: [] },
      { line: 'see tinker://run-1/weights and mint://run-1/other/x and mytinker://a/weights/b', links: [] },
      { line: 'Error: nothing to link here, just an error and a trace of exception', links: [] },
      { line: 'tinker.DataError is not a tinker class; tinker_cookbook.RateLimitError neither', links: [] },
    ];

    for (const c of linkCases) {
      it(c.line.slice(0, 90), () => {
        const got = findLinks(c.line);
        assert.deepEqual(
          got.map((l) => [l.kind, l.value, ...(l.className ? [l.className] : [])]),
          c.links.map((l) => l.filter((x) => x !== undefined)),
        );
        for (const l of got) assert.equal(c.line.slice(l.start, l.start + l.length), l.value, 'offsets point at the value');
      });
    }

    it('links are sorted and never overlap', () => {
      const line = `tinker.APIError: upload refused [request id ${EMULATOR_ID}] request_id='${EMULATOR_ID}' 'request_id': '${EMULATOR_ID}'`;
      const got = findLinks(line);
      assert.deepEqual(
        got.map((l) => l.kind),
        ['exceptionClass', 'requestId', 'requestId', 'requestId'],
      );
      for (let i = 1; i < got.length; i++) assert.ok(got[i]!.start >= got[i - 1]!.start + got[i - 1]!.length);
    });

    it('is fast on ordinary and on long lines', () => {
      const lines = [
        'step 100 loss=0.0595 lr=2e-05',
        ' 45%|████▌     | 45/100 [00:10<00:12,  4.5it/s]',
        requestFailed('boom'),
        `${'x'.repeat(16_000)} request_id='${EMULATOR_ID}'`,
      ];
      const t = timed(() => {
        let n = 0;
        for (let i = 0; i < 20_000; i++) n += findLinks(lines[i % lines.length]!).length;
        return n;
      });
      assert.equal(t.value, 5000 * 2 + 5000 * 1);
      assert.ok(t.ms < 2000, `${t.ms} ms`);
    });
  });

  describe('userFrame and isLibraryPath', () => {
    it('classifies library and user paths', () => {
      const lib = [
        `${SITE}/tinker/lib/api_future_impl.py`,
        '/usr/lib/python3/dist-packages/requests/api.py',
        '/usr/lib/python3.11/asyncio/runners.py',
        '/usr/local/lib/python3.12/concurrent/futures/_base.py',
        '/opt/conda/envs/rl/lib/python3.11/site-packages/torch/nn/modules/module.py',
        '/home/me/miniconda3/lib/python3.10/threading.py',
        '/home/me/.pyenv/versions/3.11.9/lib/python3.11/asyncio/base_events.py',
        '/Library/Frameworks/Python.framework/Versions/3.11/lib/python3.11/asyncio/tasks.py',
        '/home/me/proj/.venv/lib/python3.11/weird.py',
        'C:\\Users\\me\\proj\\.venv\\Lib\\site-packages\\tinker\\_base_client.py',
        'C:\\Python311\\Lib\\asyncio\\runners.py',
        '<frozen runpy>',
        '<frozen importlib._bootstrap>',
        '<string>',
        '<stdin>',
      ];
      const user = [
        '/home/me/proj/train.py',
        '/home/me/proj/lib/data.py',
        '/home/me/proj/envs_config/train.py',
        '/home/me/My Projects/rl run/train.py',
        'C:\\Users\\me\\proj\\train.py',
        '<ipython-input-3-1f2e3d4c5b6a>',
      ];
      for (const f of lib) assert.equal(isLibraryPath(f), true, f);
      for (const f of user) assert.equal(isLibraryPath(f), false, f);
    });

    it('userFrame is the deepest frame in the project that is not a library path', () => {
      const frames: PyFrame[] = [
        { file: `${PROJ}/train.py`, line: 1, func: '<module>' },
        { file: `${PROJ}/loop.py`, line: 2, func: 'loop' },
        { file: `${PROJ}/.venv/lib/python3.11/site-packages/tinker/x.py`, line: 3, func: 'x' },
        { file: '/usr/lib/python3.11/asyncio/runners.py', line: 4, func: 'run' },
      ];
      assert.equal(userFrame(frames, isUser)?.line, 2);
      assert.equal(
        userFrame(frames, () => false),
        undefined,
      );
      assert.equal(userFrame([], isUser), undefined);
    });
  });

  describe('terminal lines', () => {
    interface Got {
      lines: [number, string, boolean, boolean][];
      boundaries: number;
    }
    function lines(chunks: string[], maxLen = 4096): Got {
      const got: Got = { lines: [], boundaries: 0 };
      const s = new LineSplitter(
        maxLen,
        (text, index, boundary, partial) => got.lines.push([index, text, boundary, partial]),
        () => got.boundaries++,
      );
      for (const c of chunks) s.push(c);
      s.end();
      return got;
    }

    it('CRLF and LF end lines; a bare CR keeps the text after it; trailing CRs are dropped', () => {
      const text = 'a\r\nb\n 10%|█\r 20%|██\r100%|███\r\n\r\nkeep\r\r\nlast\r';
      const expected: Got['lines'] = [
        [0, 'a', false, false],
        [1, 'b', false, false],
        [2, '100%|███', false, false],
        [3, '', false, false],
        [4, 'keep', false, false],
        [5, 'last', false, true],
      ];
      assert.deepEqual(lines([text]).lines, expected);
      for (let i = 0; i <= text.length; i++) assert.deepEqual(lines(split(text, [i])).lines, expected, `split at ${i}`);
      assert.deepEqual(lines([...text]).lines, expected);
    });

    it('removes CSI colours, OSC sequences ended by BEL or ESC \\, other escapes and control characters', () => {
      const text = `${ESC}[1;31mred${ESC}[0m ${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}(Bok\x00\x07\x08 ${ESC}]0;title\x07end\ttab\n`;
      assert.deepEqual(lines([text]).lines, [[0, 'red link ok end\ttab', false, false]]);
    });

    it('flags shell-integration prompt/command markers as boundaries, at once when the line has no newline yet', () => {
      const got = lines([`out\n${ESC}]633;D;1\x07${ESC}]633;A\x07me@box:~$ ${ESC}]633;B\x07`]);
      assert.deepEqual(got.lines, [
        [0, 'out', false, false],
        [1, 'me@box:~$ ', true, true],
      ]);
      assert.equal(got.boundaries, 1);
      const props = lines([`${ESC}]633;E;python train.py;n0nce\x07${ESC}]633;P;Cwd=/home/me\x07x\n`]);
      assert.deepEqual(props.lines, [[0, 'x', false, false]]);
      assert.equal(props.boundaries, 0);
    });

    it('cuts an overlong line to its head and its last 1 KiB, in any chunking', () => {
      const long = `${'h'.repeat(5000)}${'m'.repeat(20_000)}${'t'.repeat(1024)}`;
      const want = `${'h'.repeat(4096 - 1024)}…${'t'.repeat(1024)}`;
      assert.deepEqual(lines([`${long}\nnext\n`]).lines, [
        [0, want, false, false],
        [1, 'next', false, false],
      ]);
      const chunks: string[] = [];
      for (let i = 0; i < long.length; i += 777) chunks.push(long.slice(i, i + 777));
      assert.deepEqual(lines([...chunks, '\nnext\n']).lines, lines([`${long}\nnext\n`]).lines);
    });
  });

  describe('python literal reprs', () => {
    it('reads dicts, lists, tuples, escapes, prefixes, None/True/False and JSON', () => {
      assert.deepEqual(
        parsePyLiteral("{'a': [1, -2.5e3, None, True, False], 'b': ('x', \"it's\"), 'c': {'d': 'tab\\there \\'q\\' \\x41\\u00e9'}}")?.value,
        {
          a: [1, -2500, null, true, false],
          b: ['x', "it's"],
          c: { d: "tab\there 'q' Aé" },
        },
      );
      assert.deepEqual(parsePyLiteral('{"a": null, "b": [true, false], "c": "\\u00e9\\n"}')?.value, {
        a: null,
        b: [true, false],
        c: 'é\n',
      });
      assert.deepEqual(parsePyLiteral("{'__proto__': 1}")?.value, JSON.parse('{"__proto__": 1}'));
      assert.equal(parsePyLiteral("b'raw' tail")?.value, 'raw');
      assert.equal(parsePyLiteral("b'raw' tail")?.end, 6);
      assert.equal(parsePyLiteral("{'a': 1"), undefined);
      assert.equal(parsePyLiteral('{1, 2}'), undefined);
      assert.equal(parsePyLiteral('<html>'), undefined);
      assert.equal(parsePyLiteral('['.repeat(100) + ']'.repeat(100)), undefined);
    });
  });
});
