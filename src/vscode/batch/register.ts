/**
 * Prompt files in the editor: CodeLenses (Run all, Run remaining, Cancel, Sample on each row),
 * problems for rows that cannot be sent, hovers with each row's latest result. The controller
 * (sampling, results files) is loaded on first use, not at activation.
 */
import * as vscode from 'vscode';
import type { PromptFile } from '../../batch/promptFile';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { BatchController } from './controller';

/** Per-row "Sample" lenses stop here: a huge file keeps its file-level lenses and stays fast. */
const MAX_ROW_LENSES = 2_000;

export interface Batch {
  controller(): Promise<BatchController>;
  /** The prompt file a command means: its argument, else the active editor's file. */
  uriOf(arg: unknown): vscode.Uri | undefined;
}

/** A JSONL file that is not a results file (`<name>.results.jsonl`). */
function isJsonl(doc: vscode.TextDocument): boolean {
  return /\.jsonl$/i.test(doc.uri.path) && !/\.results\.jsonl$/i.test(doc.uri.path);
}

export function registerBatch(s: Services, playground: () => Promise<PlaygroundSession>): Batch {
  let controller: Promise<BatchController> | undefined;
  const changed = new vscode.EventEmitter<void>();
  const get = (): Promise<BatchController> =>
    (controller ??= import('./controller').then(({ BatchController }) => {
      const c = new BatchController(s, playground);
      s.context.subscriptions.push(
        c,
        c.onDidChange(() => changed.fire()),
      );
      return c;
    }));
  const problems = vscode.languages.createDiagnosticCollection('MinT prompts');
  const pending = new Map<string, NodeJS.Timeout>();
  const parsed = new Map<string, { version: number; file: PromptFile }>();
  const parse = async (doc: vscode.TextDocument): Promise<PromptFile> => {
    const key = doc.uri.toString();
    const hit = parsed.get(key);
    if (hit && hit.version === doc.version) return hit.file;
    const { parsePromptFile } = await import('../../batch/promptFile');
    const file = parsePromptFile(doc.getText());
    parsed.set(key, { version: doc.version, file });
    return file;
  };
  const check = async (doc: vscode.TextDocument): Promise<void> => {
    if (!isJsonl(doc)) return;
    const file = await parse(doc);
    const { looksLikeDataset } = await import('../../batch/promptFile');
    problems.set(
      doc.uri,
      // A dataset's rows are checked by the dataset linter, which knows its formats.
      file.isPromptFile && !looksLikeDataset(file)
        ? file.problems.map((p) => {
            const d = new vscode.Diagnostic(
              new vscode.Range(p.span.start.line, p.span.start.character, p.span.end.line, p.span.end.character),
              p.message,
              vscode.DiagnosticSeverity.Error,
            );
            d.source = 'MinT';
            d.code = 'prompt-row';
            return d;
          })
        : [],
    );
    // Results shown inline come back when the file is shown again.
    if (file.isPromptFile && controller) void controller.then((c) => c.decorate(doc.uri));
  };

  const lenses: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(doc) {
      if (!isJsonl(doc)) return [];
      const file = await parse(doc);
      if (!file.isPromptFile || file.rows.length === 0) return [];
      const top = new vscode.Range(0, 0, 0, 0);
      const arg = [doc.uri];
      const c = controller ? await controller : undefined;
      const config = c?.config(doc.uri);
      const out: vscode.CodeLens[] = [];
      if (c?.isRunning(doc.uri)) {
        out.push(new vscode.CodeLens(top, { title: '$(debug-stop) Cancel', command: 'mint.batch.cancel', arguments: arg }));
      } else {
        out.push(
          new vscode.CodeLens(top, { title: `$(run-all) Run all (${file.rows.length})`, command: 'mint.batch.runAll', arguments: arg }),
        );
        let remaining = file.rows.length;
        if (c && config) {
          const results = await c.resultsFor(doc.uri);
          remaining = file.rows.filter((r) => results.get(r.key, r.target ?? config.target)?.status !== 'ok').length;
        }
        out.push(
          new vscode.CodeLens(top, {
            title: `$(run) Run remaining (${remaining})`,
            command: 'mint.batch.runRemaining',
            arguments: arg,
          }),
        );
      }
      out.push(
        new vscode.CodeLens(top, {
          title: config
            ? `$(settings-gear) ${'base_model' in config.target ? config.target.base_model : config.target.model_path}`
            : '$(settings-gear) Choose model',
          tooltip: 'The model or checkpoint and the parameters this file is sampled with',
          command: 'mint.batch.configure',
          arguments: arg,
        }),
        new vscode.CodeLens(top, { title: '$(diff) Compare', command: 'mint.batch.compare', arguments: arg }),
      );
      // Per-row Sample on prompt files only: on a training dataset a lens on every row doubles its height.
      const { looksLikeDataset } = await import('../../batch/promptFile');
      if (looksLikeDataset(file)) return out;
      for (const row of file.rows.slice(0, MAX_ROW_LENSES)) {
        const r = new vscode.Range(row.line, 0, row.line, 0);
        out.push(new vscode.CodeLens(r, { title: '$(play) Sample', command: 'mint.batch.sampleRow', arguments: [doc.uri, row.line] }));
      }
      return out;
    },
  };

  const hovers: vscode.HoverProvider = {
    async provideHover(doc, pos) {
      if (!isJsonl(doc) || !controller) return undefined;
      const md = await (await controller).hover(doc.uri, pos.line, doc.getText());
      return md && new vscode.Hover(md);
    },
  };

  const selector: vscode.DocumentSelector = [{ pattern: '**/*.jsonl' }];
  s.context.subscriptions.push(
    problems,
    changed,
    vscode.languages.registerCodeLensProvider(selector, lenses),
    vscode.languages.registerHoverProvider(selector, hovers),
    vscode.workspace.onDidOpenTextDocument((d) => void check(d)),
    // Typing in a big file re-parses it once the typing pauses, not on every keystroke.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!isJsonl(e.document)) return;
      const key = e.document.uri.toString();
      clearTimeout(pending.get(key));
      pending.set(
        key,
        setTimeout(() => {
          pending.delete(key);
          void check(e.document);
        }, 300),
      );
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      parsed.delete(d.uri.toString());
      problems.delete(d.uri);
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const e of editors) if (isJsonl(e.document) && controller) void controller.then((c) => c.decorate(e.document.uri));
    }),
  );
  for (const doc of vscode.workspace.textDocuments) void check(doc);

  return {
    controller: get,
    uriOf(arg) {
      if (arg instanceof vscode.Uri) return arg;
      if (typeof arg === 'string') return vscode.Uri.parse(arg);
      const doc = vscode.window.activeTextEditor?.document;
      return doc && isJsonl(doc) ? doc.uri : undefined;
    },
  };
}
