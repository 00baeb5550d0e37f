// What a user sees for each failure class of the MinT client: the notification (text, severity,
// buttons) as the workbench renders it, the diagnostic on the range that was sent, the status bar,
// and Copy request_id reaching the clipboard. Every failure is caused for real by the emulator's
// fault injection and travels over loopback HTTP through the real client.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ui, type Notification } from './bridge';
import {
  TEST_KEY,
  clearNotifications,
  configure,
  diagnosticsOf,
  extensionApi,
  readMintLog,
  startTestEmulator,
  sleep,
  type FaultRule,
  type TestEmulator,
} from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';
import { retryAfterMs } from '../../src/mint/retryRules';

interface Case {
  cls: string;
  /** The test's name when one class has several cases. */
  label?: string;
  rule: Omit<FaultRule, 'route'>;
  severity: 'error' | 'warning' | 'info';
  /** A fragment of the cause and one of the fix, both must be in the message. */
  says: [string, string];
  actions: string[];
  status: string;
  diagnostic: vscode.DiagnosticSeverity;
  requestId: string | undefined;
  /** The connection item's state afterwards, when the class changes it. */
  connection?: string;
  settings?: Record<string, unknown>;
}

const E = vscode.DiagnosticSeverity.Error;
const W = vscode.DiagnosticSeverity.Warning;
const I = vscode.DiagnosticSeverity.Information;
const trace = (cls: string) => `trace-${cls.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`;

function cases(): Case[] {
  const ids = Object.fromEntries(
    ['400', '401', '403', '404', 'route', '409', '422', '429', '500', 'logid', '418', 'bad'].map((k) => [k, trace(k)]),
  );
  return [
    {
      cls: 'BadRequestError',
      rule: {
        status: 400,
        body: { detail: `prompt is too long (key ${TEST_KEY} echoed by a careless proxy)` },
        headers: { 'X-Trace-Id': ids['400']! },
      },
      severity: 'error',
      says: ['rejected the request as invalid: prompt is too long', 'send it again'],
      actions: ['Copy request_id', 'Show Log'],
      status: 'bad request',
      diagnostic: E,
      requestId: ids['400'],
    },
    {
      cls: 'AuthenticationError',
      rule: { status: 401, body: { error: 'Invalid API key' }, headers: { 'X-Trace-Id': ids['401']! } },
      severity: 'error',
      says: ['did not accept your API key', 'Check your API key'],
      actions: ['Set API Key', 'Copy request_id', 'Show Log'],
      status: 'auth failed',
      diagnostic: E,
      requestId: ids['401'],
      connection: 'auth failed',
    },
    {
      cls: 'PermissionDeniedError',
      rule: { status: 403, body: { detail: 'Model not allowed for this key' }, headers: { 'X-Trace-Id': ids['403']! } },
      severity: 'error',
      says: ['may not do this: Model not allowed for this key', 'use another key'],
      actions: ['Copy request_id', 'Set API Key', 'Show Log'],
      status: 'permission denied',
      diagnostic: E,
      requestId: ids['403'],
    },
    {
      cls: 'NotFoundError',
      rule: { status: 404, body: { detail: 'Unknown model: Qwen/Nope' }, headers: { 'X-Trace-Id': ids['404']! } },
      severity: 'error',
      says: ['could not find it: Unknown model: Qwen/Nope', 'Check the model name'],
      actions: ['Copy request_id', 'Show Models', 'Show Log'],
      status: 'not found',
      diagnostic: E,
      requestId: ids['404'],
    },
    {
      cls: 'NotSupportedError',
      rule: { status: 404, body: { detail: 'Not Found' }, headers: { 'X-Trace-Id': ids.route! } },
      severity: 'warning',
      says: [
        'does not support the OpenAI-compatible endpoint (/oai/api/v1/completions): the server has no such route',
        'use a server that implements it',
      ],
      actions: ['Copy request_id', 'Select Server', 'Show Log'],
      status: 'not supported',
      diagnostic: W,
      requestId: ids.route,
    },
    {
      cls: 'ConflictError',
      rule: { status: 409, body: { detail: 'sampling session exists with a different config' }, headers: { 'X-Trace-Id': ids['409']! } },
      severity: 'warning',
      says: ['conflict: sampling session exists', 'use another name or retry'],
      actions: ['Copy request_id', 'Retry', 'Show Log'],
      status: 'conflict',
      diagnostic: W,
      requestId: ids['409'],
    },
    {
      cls: 'UnprocessableEntityError',
      rule: {
        status: 422,
        body: { detail: [{ loc: ['body', 'max_tokens'], msg: 'Field required', type: 'missing' }] },
        headers: { 'X-Trace-Id': ids['422']! },
      },
      severity: 'error',
      says: ['could not process the request: body.max_tokens: Field required', 'Check the required fields'],
      actions: ['Copy request_id', 'Show Log'],
      status: 'invalid request',
      diagnostic: E,
      requestId: ids['422'],
    },
    {
      cls: 'InternalServerError',
      rule: { status: 500, body: { detail: 'engine crashed' }, headers: { 'X-Trace-Id': ids['500']! } },
      severity: 'error',
      says: ['server error (HTTP 500)', 'give MinT support the request id'],
      actions: ['Copy request_id', 'Retry', 'Show Log'],
      status: 'server error',
      diagnostic: E,
      requestId: ids['500'],
    },
    {
      cls: 'InternalServerError',
      label: "InternalServerError with a body's Log ID beside a gateway's x-request-id",
      rule: {
        status: 500,
        body: { detail: `Internal Server Error. Log ID: ${ids['logid']!}` },
        headers: { 'X-Request-Id': 'gateway-generic-id', 'X-Trace-Id': '' },
      },
      severity: 'error',
      says: ['server error (HTTP 500)', 'give MinT support the request id'],
      actions: ['Copy request_id', 'Retry', 'Show Log'],
      status: 'server error',
      diagnostic: E,
      requestId: ids['logid'],
    },
    {
      cls: 'APIStatusError',
      rule: { status: 418, body: { detail: "I'm a teapot" }, headers: { 'X-Trace-Id': ids['418']! } },
      severity: 'error',
      says: ["answered HTTP 418: I'm a teapot", 'check mint.baseUrl or a proxy'],
      actions: ['Copy request_id', 'Retry', 'Open Settings', 'Show Log'],
      status: 'HTTP error',
      diagnostic: E,
      requestId: ids['418'],
    },
    {
      cls: 'APIResponseValidationError',
      rule: { status: 200, bodyText: '<html>captive portal</html>', contentType: 'text/html', headers: { 'X-Trace-Id': ids.bad! } },
      severity: 'error',
      says: ['cannot read (HTTP 200)', 'check mint.baseUrl'],
      actions: ['Copy request_id', 'Retry', 'Select Server', 'Show Log'],
      status: 'unreadable reply',
      diagnostic: E,
      requestId: ids.bad,
    },
    {
      cls: 'APIConnectionError',
      rule: { drop: 'before-headers' },
      severity: 'error',
      says: ['Could not reach MinT at 127.0.0.1', 'Check your network and proxy settings'],
      actions: ['Retry', 'Select Server', 'Show Log'],
      status: 'offline',
      diagnostic: E,
      requestId: undefined,
      connection: 'offline',
    },
    {
      cls: 'APITimeoutError',
      rule: { delayMs: 4_000 },
      settings: { timeoutSeconds: 1 },
      severity: 'warning',
      says: ['did not answer within 1 s', 'raise mint.timeoutSeconds'],
      actions: ['Retry', 'Open Settings', 'Show Log'],
      status: 'timed out',
      diagnostic: W,
      requestId: undefined,
      connection: 'offline',
    },
  ];
}

describe('errors: what the user sees for each failure class', function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let doc: vscode.TextDocument;
  const seenMessages: string[] = [];

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    await api.services.keys.store(TEST_KEY);
    await configure({
      baseUrl: emu.url,
      maxRetries: 0,
      timeoutSeconds: 10,
      defaultModel: 'Qwen/Qwen3-0.6B',
      notificationLevel: 'errors',
      sampleMaxTokens: 8,
    });
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the suite needs the fixture workspace open');
    doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'prompts.md'));
  });

  after(async () => {
    await emu?.clearFaults();
    await clearNotifications();
    await configure({
      baseUrl: undefined,
      maxRetries: undefined,
      timeoutSeconds: undefined,
      defaultModel: undefined,
      notificationLevel: undefined,
      sampleMaxTokens: undefined,
    });
    await emu?.close();
  });

  beforeEach(async () => {
    await clearNotifications();
    await emu.clearFaults();
  });

  async function sampleLine(line: number): Promise<vscode.Range> {
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const range = doc.lineAt(line).range;
    editor.selection = new vscode.Selection(range.start, range.end);
    await vscode.commands.executeCommand('mint.sampleSelection');
    return range;
  }

  for (const c of cases()) {
    it(`${c.label ?? c.cls}: notification, diagnostic, status bar${c.requestId ? ', Copy request_id' : ''}`, async () => {
      if (c.settings) await configure(c.settings);
      try {
        await emu.fault({ route: '/oai/api/v1/completions', method: 'POST', times: 1, ...c.rule });
        const range = await sampleLine(0);

        const toast = await ui.waitForNotification(c.says[0]);
        seenMessages.push(toast.message);
        assert.ok(toast.message.includes(c.says[1]), `the message names no fix ("${c.says[1]}"): ${toast.message}`);
        assert.equal(toast.severity, c.severity, `severity of: ${toast.message}`);
        assert.deepEqual(toast.actions, c.actions);
        if (c.requestId) assert.ok(toast.message.includes(c.requestId), `no request id in: ${toast.message}`);
        assert.ok(!toast.message.includes(TEST_KEY), 'the API key is in a notification');
        assert.ok(!/\bat .+:\d+:\d+\)?/.test(toast.message), `a stack trace in: ${toast.message}`);

        const diags = diagnosticsOf(doc.uri);
        assert.equal(diags.length, 1, `expected one MinT diagnostic, got ${diags.map((d) => d.code).join(', ')}`);
        const d = diags[0]!;
        assert.equal(d.code, c.cls);
        assert.equal(d.severity, c.diagnostic);
        assert.ok(d.range.isEqual(range), `diagnostic range ${JSON.stringify(d.range)} is not the sampled line`);
        if (c.requestId) assert.ok(d.message.includes(`request id: ${c.requestId}`), `no request id in the diagnostic: ${d.message}`);
        assert.ok(!d.message.includes(TEST_KEY), 'the API key is in a diagnostic');
        seenMessages.push(d.message);

        const items = await ui.waitFor(
          async () => {
            const all = await ui.statusBar();
            return all.some((i) => i.text.includes(`MinT: ${c.status}`)) ? all : undefined;
          },
          5_000,
          `a status bar item "MinT: ${c.status}"`,
        );
        if (c.connection)
          assert.ok(
            items.some((i) => i.text.includes(`MinT: ${c.connection}`)),
            `the connection item does not say ${c.connection}: ${items.map((i) => i.text).join(' | ')}`,
          );

        if (c.requestId) {
          await vscode.env.clipboard.writeText('');
          await ui.clickNotificationAction('Copy request_id', c.says[0]);
          const copied = await ui.waitFor(
            async () => (await vscode.env.clipboard.readText()) || undefined,
            5_000,
            'the clipboard to receive the request id',
          );
          assert.equal(copied, c.requestId);
        }
      } finally {
        if (c.settings)
          await configure(Object.fromEntries(Object.keys(c.settings).map((k) => [k, k === 'timeoutSeconds' ? 10 : undefined])));
      }
    });
  }

  it('RateLimitError: a countdown in the status bar, no toast; a diagnostic of information severity', async () => {
    const id = trace('429');
    await emu.fault({
      route: '/oai/api/v1/completions',
      method: 'POST',
      times: 1,
      status: 429,
      body: { detail: 'Sampling backpressure: server overloaded' },
      headers: { 'Retry-After': '30', 'X-Trace-Id': id },
    });
    const range = await sampleLine(1);
    const item = await ui.waitFor(
      async () => (await ui.statusBar()).find((i) => /rate limited · retry in \d+s/.test(i.text)),
      5_000,
      'the rate-limit countdown',
    );
    const first = Number(/retry in (\d+)s/.exec(item.text)![1]);
    assert.ok(first > 20 && first <= 30, `countdown starts from Retry-After (30 s), shows ${first}`);
    await sleep(2_100);
    const later = (await ui.statusBar()).find((i) => /retry in \d+s/.test(i.text));
    assert.ok(later && Number(/retry in (\d+)s/.exec(later.text)![1]) < first, 'the countdown does not count down');
    const toasts = (await ui.notifications()).filter((n) => n.message.startsWith('MinT'));
    assert.deepEqual(toasts, [], 'a 429 must not raise a toast');
    const d = diagnosticsOf(doc.uri).find((x) => x.code === 'RateLimitError');
    assert.ok(d, 'no RateLimitError diagnostic');
    assert.equal(d.severity, I);
    assert.ok(d.range.isEqual(range));
    assert.ok(d.message.includes(`request id: ${id}`));
    assert.equal(api.services.operations.lastRequestId, id);
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('mint.copyLastRequestId');
    assert.equal(await vscode.env.clipboard.readText(), id);
  });

  it('a rate limit shows as a countdown WHILE the client waits to retry, then the retry succeeds without a toast', async () => {
    await configure({ maxRetries: 2 });
    try {
      await emu.clearRequests();
      await emu.fault({
        route: '/oai/api/v1/completions',
        method: 'POST',
        times: 1,
        status: 429,
        body: { detail: 'Sampling backpressure: server overloaded' },
        headers: { 'Retry-After': '8' },
      });
      const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      const range = doc.lineAt(1).range;
      editor.selection = new vscode.Selection(range.start, range.end);
      // Not awaited: the countdown must be on screen while the command is still waiting to retry.
      let finished = false;
      const done = Promise.resolve(vscode.commands.executeCommand('mint.sampleSelection')).finally(() => (finished = true));
      // The previous test's 30 s countdown may still be on screen: wait for this wait's own.
      const shown = await ui.waitFor(
        async () => {
          const item = (await ui.statusBar()).find((i) => /rate limited · retry in \d+s/.test(i.text));
          const left = item ? Number(/retry in (\d+)s/.exec(item.text)![1]) : NaN;
          return left > 4 && left <= 8 ? left : undefined;
        },
        5_000,
        'a countdown from Retry-After (8 s) during the retry wait',
      );
      assert.equal(finished, false, `the countdown (${shown}s) appeared only after the call ended`);
      assert.equal((await emu.requestsTo('/oai/api/v1/completions')).length, 1, 'the retry was already sent');
      const tip = await ui.statusBarTooltip('rate limited');
      assert.match(tip, /rate.limit/i);
      await done;
      assert.equal((await emu.requestsTo('/oai/api/v1/completions')).length, 2, 'the client did not retry after the wait');
      const toasts = (await ui.notifications()).filter((n) => n.message.startsWith('MinT'));
      assert.deepEqual(toasts, [], 'a rate limit that the retry got past must not raise a toast');
      assert.ok(
        (await readMintLog(api)).includes('HTTP 429 on /oai/api/v1/completions, retry 1 in 8.0 s'),
        'the log does not say the client waits for a rate limit',
      );
    } finally {
      await configure({ maxRetries: 0 });
    }
  });

  it('the rate-limit countdown waits as long as the client would, for every Retry-After form', async () => {
    const forms: Array<[string, Record<string, string>]> = [
      ['retry-after-ms', { 'retry-after-ms': '12000' }],
      ['an HTTP date', { 'Retry-After': new Date(Date.now() + 40_000).toUTCString() }],
      ['seconds past the 60 s ceiling', { 'Retry-After': '90' }],
    ];
    for (const [form, headers] of forms) {
      await emu.fault({ route: '/oai/api/v1/completions', method: 'POST', times: 1, status: 429, body: { detail: 'slow down' }, headers });
      const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      // What the client itself would wait; with no usable value the status bar says 5 s.
      const clientWaitS = (retryAfterMs(lowered) ?? 5_000) / 1000;
      await sampleLine(1);
      // The previous form's countdown may still be on screen: wait for this one's.
      await ui.waitFor(
        async () => {
          const item = (await ui.statusBar()).find((i) => /rate limited · retry in \d+s/.test(i.text));
          const shown = item ? Number(/retry in (\d+)s/.exec(item.text)![1]) : NaN;
          return Math.abs(shown - clientWaitS) <= 2 ? shown : undefined;
        },
        5_000,
        `${form}: a countdown of the client's wait (${clientWaitS.toFixed(1)} s)`,
      );
    }
  });

  it('status bar: the state is known without opening a view, one item per state, and the tooltip names the server and key', async () => {
    const dead = 'http://127.0.0.1:9';
    try {
      const clientLines = async () => (await readMintLog(api)).split('\n').filter((l) => l.includes(`MinT client for ${dead}`)).length;
      const linesBefore = await clientLines();
      // A switch is two changes (the setting, then another one, as letting go of an emulator is): one client.
      await api.services.clients.batch(async () => {
        await configure({ baseUrl: dead });
        api.services.clients.invalidate('a second change of the same switch');
      });
      // No request of the user's: a quiet check finds the server down, without a toast.
      await ui.waitFor(async () => (await ui.statusBar()).find((i) => i.text.includes('MinT: offline')), 10_000, 'offline at once');
      assert.equal((await clientLines()) - linesBefore, 1, 'one server switch built more than one client');
      assert.deepEqual(
        (await ui.notifications()).filter((n) => n.message.startsWith('MinT') || n.message.includes('Could not reach')),
        [],
        'the quiet check raised a toast',
      );
      assert.ok((await ui.statusBarTooltip('MinT: offline')).includes(dead), 'the tooltip does not name the server');
      await sampleLine(0);
      await ui.waitForNotification('Could not reach');
      const offline = (await ui.statusBar()).filter((i) => i.text.includes('MinT: offline'));
      assert.equal(offline.length, 1, `one state, one item: ${offline.map((i) => i.text).join(' | ')}`);
      await clearNotifications();

      await configure({ baseUrl: emu.url });
      await ui.waitFor(async () => (await ui.statusBar()).find((i) => i.text.includes('MinT: connected')), 10_000, 'connected again');
      const tip = await ui.statusBarTooltip('MinT: connected');
      assert.ok(tip.includes(emu.url.replace(/\/$/, '')), `the tooltip does not name ${emu.url}: ${tip}`);
      assert.match(tip, /API key: from secret storage/);
    } finally {
      await configure({ baseUrl: emu.url });
    }
  });

  it('the log: the request id a success shows is in it, and heartbeats are not (trace level)', async () => {
    await sampleLine(2);
    const sample = await ui.waitFor(
      async () => vscode.window.visibleTextEditors.find((e) => e.document.getText().startsWith('<!-- MinT sample')),
      10_000,
      'the sample document',
    );
    const id = / · id (\S+) · /.exec(sample.document.lineAt(0).text)?.[1];
    assert.ok(id, `no id in the sample header: ${sample.document.lineAt(0).text}`);
    await emu.clearRequests();
    await api.services.operations.run('open a session', ({ client }, t) => client.sessionId({ signal: t.signal }));
    // MinT's heartbeat is every 10 s: wait for one to have been sent.
    await ui.waitFor(
      async () => ((await emu.requestsTo('/api/v1/session_heartbeat')).length > 0 ? true : undefined),
      15_000,
      'a heartbeat',
    );
    const log = await readMintLog(api);
    assert.ok(log.includes(id), `the sample's id ${id} is not in the log`);
    const beats = log.split('\n').filter((l) => l.includes('session_heartbeat') && !l.includes('[trace]'));
    assert.deepEqual(beats, [], 'heartbeats are logged above trace level, burying the requests the user made');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a training step that reached MinT without an answer says it may have run, and is not sent twice', async () => {
    // The emulator applies the step, then drops the connection: the client cannot know it ran.
    await emu.fault({ route: '/api/v1/forward_backward', method: 'POST', times: 1, drop: 'after-handling' });
    await emu.clearRequests();
    const range = doc.lineAt(2).range;
    await api.services.operations.run(
      'train one step',
      async ({ client }, t) => {
        const trainer = await client.createLoraTrainingClient({ base_model: 'Qwen/Qwen3-0.6B', rank: 4 }, { signal: t.signal });
        const datum = {
          model_input: { chunks: [{ type: 'encoded_text' as const, tokens: [9707, 11] }] },
          loss_fn_inputs: {
            target_tokens: { data: [11, 1879], dtype: 'int64' as const, shape: [2] },
            weights: { data: [1, 1], dtype: 'float32' as const, shape: [2] },
          },
        };
        return trainer.forwardBackward([datum], 'cross_entropy', undefined, { signal: t.signal });
      },
      { origin: { uri: doc.uri, range } },
    );
    const toast = await ui.waitForNotification('MinT may already have applied forward_backward');
    assert.ok(toast.message.includes('It was not sent again') && toast.message.includes('Check the run'), toast.message);
    assert.equal(toast.severity, 'warning');
    assert.ok(!toast.actions.includes('Retry'), `a Retry button would apply the step twice: ${toast.actions.join(', ')}`);
    assert.ok((await ui.statusBar()).some((i) => i.text.includes('MinT: step may have run')));
    const posts = (await emu.requests()).filter((r) => r.method === 'POST' && r.path === '/api/v1/forward_backward');
    assert.equal(posts.length, 1, 'the client resent a training step MinT may already have applied');
  });

  /** A native sample through the shared Operations runner: the path the playground takes. */
  async function sampleTokens(range: vscode.Range): Promise<void> {
    await api.services.operations.run(
      'sample tokens',
      async ({ client }, t) => {
        const sampler = await client.createSamplingClient({ base_model: 'Qwen/Qwen3-0.6B' }, { signal: t.signal });
        return sampler.sample(
          { prompt: { chunks: [{ type: 'encoded_text', tokens: [9707, 11, 1879] }] }, sampling_params: { max_tokens: 4 }, num_samples: 1 },
          { signal: t.signal },
        );
      },
      { origin: { uri: doc.uri, range } },
    );
  }

  it('RequestFailedError: a future that fails shows its cause and request id, with Copy request_id and Retry', async () => {
    await emu.fault({ route: '/api/v1/asample', times: 1, futureError: { error: 'sampler ran out of KV cache', category: 'system' } });
    const range = doc.lineAt(2).range;
    await sampleTokens(range);
    const failure = api.services.presenter.lastFailure?.described;
    assert.equal(failure?.className, 'RequestFailedError');
    const id = failure.requestId;
    assert.ok(id, 'a RequestFailedError always has a request id');
    const toast = await ui.waitForNotification('could not finish the request');
    assert.ok(toast.message.includes('sampler ran out of KV cache') && toast.message.includes(`request id: ${id}`), toast.message);
    assert.equal(toast.severity, 'error');
    assert.deepEqual(toast.actions, ['Copy request_id', 'Retry', 'Show Log']);
    const d = diagnosticsOf(doc.uri).find((x) => x.code === 'RequestFailedError');
    assert.ok(d && d.range.isEqual(range) && d.message.includes(id));
    assert.ok((await ui.statusBar()).some((i) => i.text.includes('MinT: request failed')));
    await vscode.env.clipboard.writeText('');
    await ui.clickNotificationAction('Copy request_id', 'could not finish the request');
    assert.equal(await ui.waitFor(async () => (await vscode.env.clipboard.readText()) || undefined, 5_000, 'the id on the clipboard'), id);
  });

  it('a failure whose cause production MinT masks says so and puts Copy request_id first', async () => {
    await emu.config({ maskErrors: true });
    try {
      await emu.fault({ route: '/api/v1/asample', times: 1, futureError: { error: 'CUDA out of memory on worker 7', category: 'system' } });
      const range = doc.lineAt(2).range;
      await sampleTokens(range);
      const failure = api.services.presenter.lastFailure?.described;
      assert.equal(failure?.className, 'RequestFailedError');
      const id = failure.requestId;
      assert.ok(id);
      const toast = await ui.waitForNotification('MinT hides the cause of this failure');
      assert.ok(toast.message.includes('Give MinT support this request id') && toast.message.includes(`request id: ${id}`), toast.message);
      assert.ok(!toast.message.includes('CUDA'), 'the emulator did not mask the cause');
      assert.deepEqual(toast.actions, ['Copy request_id', 'Retry', 'Show Log']);
      const d = diagnosticsOf(doc.uri).find((x) => x.code === 'RequestFailedError');
      assert.ok(d && d.message.includes('hides the cause') && d.message.includes(id), d?.message);
      assert.ok((await ui.statusBar()).some((i) => i.text.includes('MinT: request failed (cause hidden)')));
      await vscode.env.clipboard.writeText('');
      await ui.clickNotificationAction('Copy request_id', 'MinT hides the cause');
      assert.equal(
        await ui.waitFor(async () => (await vscode.env.clipboard.readText()) || undefined, 5_000, 'the id on the clipboard'),
        id,
      );
    } finally {
      await emu.config({ maskErrors: false });
    }
  });

  it('a masked and an ordinary failure of the same class each get their toast (one does not hide the other)', async () => {
    await emu.fault({ route: '/api/v1/asample', times: 1, futureError: { error: 'sampler ran out of KV cache', category: 'system' } });
    await sampleTokens(doc.lineAt(2).range);
    await ui.waitForNotification('could not finish the request');
    await emu.config({ maskErrors: true });
    try {
      await emu.fault({ route: '/api/v1/asample', times: 1, futureError: { error: 'CUDA out of memory', category: 'system' } });
      await sampleTokens(doc.lineAt(2).range);
      await ui.waitForNotification('MinT hides the cause of this failure');
      assert.ok(
        (await ui.notifications()).some((n) => n.message.includes('could not finish the request')),
        'the first toast went away',
      );
    } finally {
      await emu.config({ maskErrors: false });
    }
  });

  it('repeated failures of one class coalesce into one toast; a screenshot shows it with Copy request_id', async () => {
    const id = trace('503');
    await emu.fault({
      route: '/oai/api/v1/completions',
      method: 'POST',
      times: 3,
      status: 503,
      body: { detail: 'overloaded' },
      headers: { 'X-Trace-Id': id },
    });
    for (let i = 0; i < 3; i++) await sampleLine(0);
    const toast = await ui.waitForNotification('server error (HTTP 503)');
    await sleep(300);
    const same = (await ui.notifications()).filter((n: Notification) => n.message.includes('server error (HTTP 503)'));
    assert.equal(same.length, 1, `three failures of one class stacked ${same.length} toasts`);
    assert.ok(toast.actions.includes('Copy request_id'));
    const shot = await ui.screenshot('mint-error-notification');
    assert.match(shot, /mint-error-notification\.png$/);
    assert.equal(
      (await emu.requests(10)).filter((r) => r.path === '/oai/api/v1/completions' && r.status === 503).length,
      3,
      'not every attempt reached the server',
    );
  });

  it('mint.notificationLevel "none" keeps failures out of toasts but still in the status bar and Problems', async () => {
    await configure({ notificationLevel: 'none' });
    try {
      await emu.fault({
        route: '/oai/api/v1/completions',
        method: 'POST',
        times: 1,
        status: 404,
        body: { detail: 'Unknown model: quiet' },
      });
      await sampleLine(1);
      await ui.waitFor(
        async () => (await ui.statusBar()).some((i) => i.text.includes('MinT: not found')),
        5_000,
        'the status bar to show the failure',
      );
      assert.ok(diagnosticsOf(doc.uri).some((d) => d.code === 'NotFoundError' && d.message.includes('Unknown model: quiet')));
      await sleep(400);
      assert.deepEqual(
        (await ui.notifications()).filter((n) => n.message.includes('Unknown model: quiet')),
        [],
        'a toast despite notificationLevel "none"',
      );
    } finally {
      await configure({ notificationLevel: 'errors' });
    }
  });

  it('a cancellation shows nothing', async () => {
    await emu.fault({ route: '/oai/api/v1/completions', method: 'POST', times: 1, delayMs: 3_000 });
    const before = diagnosticsOf(doc.uri).length;
    const controller = new AbortController();
    const range = doc.lineAt(1).range;
    const run = api.services.operations.run(
      'cancelled sample',
      ({ client }, t) =>
        client.createOpenAIClient().completions({ model: 'Qwen/Qwen3-0.6B', prompt: 'x', max_tokens: 4 }, { signal: t.signal }),
      { origin: { uri: doc.uri, range }, signal: controller.signal },
    );
    await sleep(300);
    controller.abort();
    assert.equal(await run, undefined);
    await sleep(500);
    assert.deepEqual(
      (await ui.notifications()).filter((n) => n.message.startsWith('MinT')),
      [],
    );
    assert.ok(diagnosticsOf(doc.uri).length <= before, 'a cancellation left a diagnostic');
  });

  it('a success on the same range clears its diagnostic; an edit there clears it too', async () => {
    await emu.fault({ route: '/oai/api/v1/completions', method: 'POST', times: 1, status: 500, body: { detail: 'x' } });
    await sampleLine(0);
    assert.equal(diagnosticsOf(doc.uri).filter((d) => d.range.start.line === 0).length, 1);
    await sampleLine(0);
    assert.equal(
      diagnosticsOf(doc.uri).filter((d) => d.range.start.line === 0).length,
      0,
      'a success did not clear the diagnostic of its range',
    );

    await emu.fault({ route: '/oai/api/v1/completions', method: 'POST', times: 1, status: 500, body: { detail: 'x' } });
    await sampleLine(0);
    assert.equal(diagnosticsOf(doc.uri).filter((d) => d.range.start.line === 0).length, 1);
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    await editor.edit((e) => e.insert(doc.lineAt(0).range.end, '!'));
    assert.equal(
      diagnosticsOf(doc.uri).filter((d) => d.range.start.line === 0).length,
      0,
      'an edit of the range did not clear its diagnostic',
    );
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('the Quick Fixes of a diagnostic copy its request id and retry it', async () => {
    const id = trace('qf');
    await emu.fault({
      route: '/oai/api/v1/completions',
      method: 'POST',
      times: 1,
      status: 502,
      body: { detail: 'bad gateway' },
      headers: { 'X-Trace-Id': id },
    });
    const range = await sampleLine(2);
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      doc.uri,
      range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const mine = fixes.filter((f) => f.title === `Copy request_id ${id}` || f.title === 'Retry the MinT request');
    mine.sort((a, b) => a.title.localeCompare(b.title));
    assert.deepEqual(
      mine.map((f) => f.title),
      [`Copy request_id ${id}`, 'Retry the MinT request'],
      `Quick Fixes offered: ${fixes.map((f) => f.title).join(' | ')}`,
    );
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand(mine[0]!.command!.command, ...(mine[0]!.command!.arguments ?? []));
    assert.equal(await vscode.env.clipboard.readText(), id);
    const before = (await emu.requests(100)).filter((r) => r.path === '/oai/api/v1/completions').length;
    await vscode.commands.executeCommand(mine[1]!.command!.command, ...(mine[1]!.command!.arguments ?? []));
    await ui.waitFor(
      () => diagnosticsOf(doc.uri).every((d) => !d.range.isEqual(range)),
      10_000,
      'the retried request to clear its diagnostic',
    );
    const after = (await emu.requests(100)).filter((r) => r.path === '/oai/api/v1/completions').length;
    assert.equal(after, before + 1, 'the Retry Quick Fix sent no request');
  });

  it('the API key appears in no notification, diagnostic or log line', async () => {
    assert.ok(seenMessages.length >= 20, 'the cases above did not run');
    for (const m of seenMessages) assert.ok(!m.includes(TEST_KEY), `the key leaked into: ${m}`);
    const log = await readMintLog(api);
    assert.match(log, /POST oai\/api\/v1\/completions|POST \/?oai\/api\/v1\/completions/, 'the log has no request lines');
    assert.match(
      log,
      /prompt is too long \(key \[(redacted|REDACTED)\] echoed/,
      'the 400 reply that echoed the key is not logged, redacted',
    );
    assert.ok(!log.includes(TEST_KEY), 'the API key is in the MinT log');
    const requests = await emu.requests(20);
    assert.ok(
      requests.some((r) => r.path === '/oai/api/v1/completions'),
      'the requests did not reach the emulator',
    );
  });
});
