/**
 * Training datasets in the editor: every open JSONL file that looks like SFT, DPO or RL data is
 * linted in a worker thread (dist/datasetWorker.js) as you type, with diagnostics at exact ranges,
 * Quick Fixes where the repair is mechanical, and a status-bar summary (rows, format, lengths,
 * rows over the model's context). Row lengths use the model's own tokenizer and chat template,
 * as the playground does, once they are loaded; until then they are marked as estimates. An
 * eval/test/valid file is checked for rows that are also in its sibling train file.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import type { Finding, TextChange } from '../datasets/types';
import type { HostToWorker, WorkerToHost } from '../datasets/worker';
import type { PlaygroundSession } from './playground/session';
import type { Services } from './services';

interface Linted {
  version: number;
  kind: WorkerToHost['kind'];
  format: string | undefined;
  findings: Finding[];
  summary: WorkerToHost['summary'];
}

export interface Datasets {
  /** The last answer for a document (tests wait on it). */
  linted(uri: vscode.Uri): Linted | undefined;
  readonly onDidLint: vscode.Event<vscode.Uri>;
}

const SOURCE = 'MinT dataset';

function isCandidate(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && /\.jsonl$/i.test(doc.uri.path) && !/\.results\.jsonl$/i.test(doc.uri.path);
}

/** The train file beside an eval/test/valid file: eval.jsonl -> train.jsonl, data_test.jsonl -> data_train.jsonl. */
export function siblingTrainFile(file: string): string | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file);
  if (!/(eval|test|valid|val|dev)/i.test(base)) return undefined;
  for (const word of ['eval', 'test', 'valid', 'val', 'dev']) {
    const re = new RegExp(`(^|[^a-z])${word}([^a-z]|$)`, 'i');
    if (!re.test(base)) continue;
    const candidate = path.join(
      dir,
      base.replace(re, (_m, a: string, b: string) => `${a}train${b}`),
    );
    if (candidate !== file && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A document as the worker first gets it: its whole text, and its sibling train file if any. */
function openMessage(doc: vscode.TextDocument): HostToWorker {
  return {
    type: 'open',
    uri: doc.uri.toString(),
    version: doc.version,
    text: doc.getText(),
    path: doc.uri.fsPath,
    train: siblingTrainFile(doc.uri.fsPath),
  };
}

function toRange(r: Finding['range']): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function registerDatasets(s: Services, playground: () => Promise<PlaygroundSession>): Datasets {
  const collection = vscode.languages.createDiagnosticCollection(SOURCE);
  const results = new Map<string, Linted>();
  const open = new Set<string>();
  const linted = new vscode.EventEmitter<vscode.Uri>();
  const lensesChanged = new vscode.EventEmitter<void>();
  // "Fine-tune on this dataset" at the top of a chat-SFT file.
  const lenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: lensesChanged.event,
    provideCodeLenses(doc) {
      const r = results.get(doc.uri.toString());
      if (!r || r.kind !== 'dataset' || (r.format !== 'sft-messages' && r.format !== 'sft-fields')) return [];
      const top = new vscode.Range(0, 0, 0, 0);
      return [
        new vscode.CodeLens(top, {
          title: '$(rocket) Fine-tune on this dataset',
          tooltip: 'Supervised fine-tuning on MinT (a LoRA adapter), with a run folder you can watch',
          command: 'mint.fineTune',
          arguments: [doc.uri],
        }),
      ];
    },
  };
  const status = vscode.window.createStatusBarItem('mint.dataset', vscode.StatusBarAlignment.Right, 90);
  status.name = 'MinT dataset';
  status.command = 'workbench.actions.view.problems';
  let worker: Worker | undefined;
  let measureSent = false;
  let disposed = false;

  const send = (m: HostToWorker): void => {
    if (!worker) {
      worker = new Worker(path.join(s.context.extensionPath, 'dist', 'datasetWorker.js'));
      worker.on('message', (msg: WorkerToHost | { type: 'error'; message: string }) => {
        if (msg.type === 'error') return s.log.warn('datasets', `dataset linter: ${msg.message}`);
        onResult(msg);
      });
      const mine = worker;
      const lost = (why: string): void => {
        if (worker !== mine) return;
        s.log.error('datasets', `the dataset linter stopped (${why}); starting it again`);
        worker = undefined;
        measureSent = false;
        // A new worker knows nothing: give it every open dataset again.
        for (const key of open) {
          const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
          if (doc) send(openMessage(doc));
        }
      };
      worker.on('error', (e) => lost(e.message));
      worker.on('exit', (code) => code !== 0 && !disposed && lost(`exit code ${code}`));
      worker.unref();
    }
    worker.postMessage(m);
  };

  const onResult = (m: WorkerToHost): void => {
    if (!open.has(m.uri)) return;
    const uri = vscode.Uri.parse(m.uri);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === m.uri);
    // An answer for an older version has stale ranges: the answer for the newer one is on its way.
    if (doc && doc.version !== m.version) return;
    results.set(m.uri, { version: m.version, kind: m.kind, format: m.format, findings: m.findings, summary: m.summary });
    lensesChanged.fire();
    collection.set(
      uri,
      m.findings.map((f) => {
        const d = new vscode.Diagnostic(toRange(f.range), f.message, SEVERITY[f.severity]);
        d.source = SOURCE;
        d.code = f.rule;
        return d;
      }),
    );
    showStatus();
    linted.fire(uri);
    if (m.kind === 'dataset' && !measureSent) {
      measureSent = true;
      void sendMeasure();
    }
  };

  /** Once a dataset is open: the model's context length and tokenizer, so lengths are real counts. */
  const sendMeasure = async (): Promise<void> => {
    try {
      const session = await playground();
      const ctx = await session.samplingContext();
      const model =
        vscode.workspace.getConfiguration('mint').get<string>('datasets.model', '').trim() ||
        vscode.workspace.getConfiguration('mint').get<string>('defaultModel', '').trim() ||
        ctx.models[0]?.model_name;
      if (!model) {
        measureSent = false;
        return;
      }
      const lookup = await session.tokenizers.get(model);
      if (!lookup.tokenizer) {
        s.log.info('datasets', `dataset lengths stay estimates: ${lookup.problem ?? 'no tokenizer'}`);
        return;
      }
      const cfg = vscode.workspace.getConfiguration('mint.tokenizer');
      send({
        type: 'measure',
        tokenizer: {
          model,
          options: {
            localDir: cfg.get<string>('localPath', '').trim() || undefined,
            bundledDir: path.join(s.context.extensionPath, 'dist', 'tokenizers'),
            cacheDir: vscode.Uri.joinPath(s.context.globalStorageUri, 'tokenizers').fsPath,
          },
        },
        contextLength: ctx.models.find((m) => m.model_name === model)?.max_context_length,
        label: `${model}'s tokenizer and chat template`,
      });
    } catch (e) {
      measureSent = false;
      s.log.info('datasets', `dataset lengths stay estimates: ${(e as Error).message}`);
    }
  };

  const showStatus = (): void => {
    const doc = vscode.window.activeTextEditor?.document;
    const r = doc && results.get(doc.uri.toString());
    if (!r || r.kind !== 'dataset' || !r.summary) {
      status.hide();
      return;
    }
    status.text = `$(database) ${r.summary.status}`;
    status.tooltip = new vscode.MarkdownString(r.summary.hover.map((l) => `- ${l}`).join('\n'));
    status.show();
  };

  const openDoc = (doc: vscode.TextDocument): void => {
    if (!isCandidate(doc)) return;
    const key = doc.uri.toString();
    open.add(key);
    send(openMessage(doc));
  };

  const fixes: vscode.CodeActionProvider = {
    provideCodeActions(doc, _range, context) {
      const r = results.get(doc.uri.toString());
      if (!r) return [];
      const out: vscode.CodeAction[] = [];
      for (const d of context.diagnostics) {
        if (d.source !== SOURCE) continue;
        const f = r.findings.find((x) => x.fix && x.message === d.message && toRange(x.range).isEqual(d.range));
        if (!f?.fix) continue;
        const action = new vscode.CodeAction(f.fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.edit = new vscode.WorkspaceEdit();
        for (const e of f.fix.edits) action.edit.replace(doc.uri, toRange(e.range), e.newText);
        action.isPreferred = true;
        out.push(action);
      }
      return out;
    },
  };

  s.context.subscriptions.push(
    collection,
    status,
    linted,
    lensesChanged,
    vscode.languages.registerCodeLensProvider({ pattern: '**/*.jsonl' }, lenses),
    vscode.workspace.onDidOpenTextDocument(openDoc),
    vscode.workspace.onDidChangeTextDocument((e) => {
      const key = e.document.uri.toString();
      if (!open.has(key) || e.contentChanges.length === 0) return;
      const changes: TextChange[] = e.contentChanges.map((c) => ({
        range: {
          start: { line: c.range.start.line, character: c.range.start.character },
          end: { line: c.range.end.line, character: c.range.end.character },
        },
        text: c.text,
      }));
      send({ type: 'update', uri: key, version: e.document.version, changes });
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      const key = doc.uri.toString();
      if (!open.delete(key)) return;
      results.delete(key);
      collection.delete(doc.uri);
      send({ type: 'close', uri: key });
      showStatus();
    }),
    vscode.window.onDidChangeActiveTextEditor(showStatus),
    vscode.languages.registerCodeActionsProvider({ pattern: '**/*.jsonl' }, fixes, {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    new vscode.Disposable(() => {
      disposed = true;
      void worker?.terminate();
    }),
  );
  for (const doc of vscode.workspace.textDocuments) openDoc(doc);

  return { linted: (uri) => results.get(uri.toString()), onDidLint: linted.event };
}
