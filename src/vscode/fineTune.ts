/**
 * "MinT: Fine-tune on This Dataset": supervised fine-tuning of a chat-SFT JSONL file through the
 * TypeScript training client (src/finetune), from the editor. Settings are chosen once per
 * dataset (defaults shown, remembered), the file is checked first with the dataset linter's rules,
 * and the run writes a tinker-cookbook run folder under `runs/`, which Local Runs and the
 * dashboard show like any Python run. A cancel, a reload or a failure can be resumed from the
 * last saved state; at the end the final checkpoint opens in the playground beside its base model.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  FINE_TUNE_DEFAULTS,
  fineTune,
  readRunFolder,
  validateForFineTuneAsync,
  type FineTuneConfig,
  type FineTuneResult,
  type FineTuneValidation,
} from '../finetune/index';
import { needsKey } from './clientManager';
import type { PlaygroundSession } from './playground/session';
import type { Services } from './services';

const CONFIG_KEY = 'mint.fineTune.config';
const LAST_RUN_KEY = 'mint.fineTune.lastRun';

/** What automation (and tests) may pass instead of answering the dialogs. */
interface FineTuneArgs {
  config?: FineTuneConfig;
  /** Resume the dataset's last run (when it did not complete) instead of asking. */
  resume?: boolean;
  runDir?: string;
  /** Open the final checkpoint in the playground beside its base model when done. */
  compare?: boolean;
}

export class FineTuneCommands {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly s: Services,
    private readonly playground: () => Promise<PlaygroundSession>,
    private readonly afterRun: () => void,
  ) {}

  cancel(uri: vscode.Uri): boolean {
    const c = this.running.get(uri.toString());
    c?.abort();
    return c !== undefined;
  }

  async run(uri: vscode.Uri, argsIn: unknown): Promise<FineTuneResult | undefined> {
    const args = (argsIn && typeof argsIn === 'object' ? argsIn : {}) as FineTuneArgs;
    const key = uri.toString();
    if (this.running.has(key)) {
      void vscode.window.showInformationMessage(
        'MinT: this dataset is already being fine-tuned; cancel it from its progress notification first.',
      );
      return undefined;
    }
    const name = path.basename(uri.fsPath);
    const text = await readText(uri);
    const session = await this.playground();
    const ctx = await session.samplingContext();

    // Resuming needs the settings the run was started with, not a new choice (that would be another run).
    const remembered = this.s.context.workspaceState.get<Record<string, FineTuneConfig>>(CONFIG_KEY, {})[key];
    const config =
      args.config ??
      (args.resume && remembered
        ? remembered
        : await this.askConfig(
            uri,
            ctx.models.map((m) => m.model_name),
          ));
    if (!config) return undefined;
    await this.remember(CONFIG_KEY, key, config);

    // Checked first, with the model's own tokenizer and context, so nothing is sent that MinT would refuse.
    const lookup = await session.tokenizers.get(config.baseModel);
    if (!lookup.tokenizer) {
      void vscode.window.showErrorMessage(
        `MinT: cannot fine-tune ${name} on ${config.baseModel}: ${lookup.problem ?? 'its tokenizer is unavailable'}.`,
      );
      return undefined;
    }
    const contextLength = ctx.models.find((m) => m.model_name === config.baseModel)?.max_context_length;
    // Measuring every row with the chat template takes a while on a big file: in slices, with a Cancel.
    const check = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MinT: checking ${name} with ${config.baseModel}'s tokenizer`,
        cancellable: true,
      },
      async (_p, token): Promise<FineTuneValidation | undefined> => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        try {
          return await validateForFineTuneAsync(text, {
            tokenizer: lookup.tokenizer!,
            ...(contextLength !== undefined ? { contextLength } : {}),
            batchSize: config.batchSize ?? FINE_TUNE_DEFAULTS.batchSize,
            evalSplit: config.evalSplit ?? FINE_TUNE_DEFAULTS.evalSplit,
            signal: abort.signal,
          });
        } catch (e) {
          if (abort.signal.aborted) return undefined;
          throw e;
        }
      },
    );
    if (!check) return undefined;
    if (!check.ok) {
      this.s.log.warn('finetune', `${name} refused: ${check.problems.join(' ')}`);
      // Not awaited: the command answers now, the toast stays until the user acts on it.
      void vscode.window
        .showErrorMessage(`MinT: ${name} cannot be fine-tuned as it is: ${check.problems.join(' ')}`, 'Show Problems')
        .then((picked) => picked && vscode.commands.executeCommand('workbench.actions.view.problems'));
      return undefined;
    }
    for (const w of check.warnings) this.s.log.info('finetune', `${name}: ${w}`);

    const runDir = args.runDir ?? (await this.chooseRunDir(uri, config, args.resume));
    if (!runDir) return undefined;
    await this.remember(LAST_RUN_KEY, key, runDir);

    const abort = new AbortController();
    this.running.set(key, abort);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `MinT fine-tune: ${name} on ${config.baseModel}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          let last = 0;
          const outcome = await this.s.operations.attempt(
            `Fine-tune ${name}`,
            ({ client }) =>
              fineTune({
                service: client,
                tokenizer: lookup.tokenizer!,
                rows: check.rows,
                config,
                runDir,
                dataset: { path: uri.fsPath, sha256: check.sha256 },
                signal: abort.signal,
                onLog: (line) => this.s.log.info('finetune', line),
                onProgress: (p) => {
                  const pct = p.totalSteps ? (100 * p.step) / p.totalSteps : 0;
                  const nll = p.trainMeanNll !== undefined ? ` · loss ${p.trainMeanNll.toFixed(3)}` : '';
                  progress.report({ increment: Math.max(0, pct - last), message: `step ${p.step}/${p.totalSteps}${nll} — ${p.message}` });
                  last = Math.max(last, pct);
                },
              }),
            { signal: abort.signal },
          );
          return outcome.kind === 'ok' ? outcome.value : undefined;
        },
      );
      this.afterRun();
      if (result?.status === 'completed' && args.compare === true && result.lastSamplerPath) await this.compare(result);
      // The outcome's toast is not awaited: the command returns its result at once.
      else if (result) void this.report(name, result, uri);
      return result;
    } finally {
      this.running.delete(key);
    }
  }

  private async report(name: string, r: FineTuneResult, uri: vscode.Uri): Promise<void> {
    const where = vscode.workspace.asRelativePath(r.runDir);
    if (r.status === 'completed') {
      this.s.log.info(
        'finetune',
        `${name}: completed ${r.steps} steps in ${where}; final sampler checkpoint ${r.lastSamplerPath ?? '(none)'}`,
      );
      const picked = await vscode.window.showInformationMessage(
        `MinT: fine-tuned ${name} for ${r.steps} steps (${where}).`,
        ...(r.lastSamplerPath ? ['Compare with Base Model'] : []),
        'Open Dashboard',
      );
      if (picked === 'Open Dashboard') await vscode.commands.executeCommand('mint.openRunDashboard', r.runDir);
      else if (picked) await this.compare(r);
      return;
    }
    if (r.status === 'cancelled') {
      void vscode.window
        .showInformationMessage(
          `MinT: fine-tune of ${name} cancelled after step ${r.steps} of ${r.totalSteps}; its state is saved in ${where}.`,
          'Resume',
        )
        .then((p) => p && vscode.commands.executeCommand('mint.fineTune', uri, { resume: true }));
      return;
    }
    const e = r.error;
    const id = e?.request_id ? ` (request id: ${e.request_id})` : '';
    this.s.log.error('finetune', `${name} failed at step ${r.steps}: ${e?.class ?? 'Error'}: ${e?.message ?? ''}${id}`);
    const picked = await vscode.window.showErrorMessage(
      `MinT: fine-tune of ${name} failed after step ${r.steps}: ${e?.class ?? 'Error'}: ${e?.message ?? 'unknown'}${id}. Resume continues from the last saved state.`,
      ...(e?.request_id ? ['Copy request_id'] : []),
      'Resume',
    );
    if (picked === 'Copy request_id') await vscode.commands.executeCommand('mint.copyRequestId', e?.request_id);
    else if (picked === 'Resume') await vscode.commands.executeCommand('mint.fineTune', uri, { resume: true });
  }

  private async compare(r: FineTuneResult): Promise<void> {
    const session = await this.playground();
    const config = JSON.parse(await fs.readFile(path.join(r.runDir, 'config.json'), 'utf8')) as { base_model?: string; baseModel?: string };
    const base = config.base_model ?? config.baseModel;
    if (base) await session.addTarget({ base_model: base });
    if (r.lastSamplerPath) await session.addTarget({ model_path: r.lastSamplerPath });
    await vscode.commands.executeCommand('mint.openPlayground');
  }

  /** The dataset's unfinished run to resume, or a new folder under runs/. */
  private async chooseRunDir(uri: vscode.Uri, config: FineTuneConfig, resume: boolean | undefined): Promise<string | undefined> {
    const last = this.s.context.workspaceState.get<Record<string, string>>(LAST_RUN_KEY, {})[uri.toString()];
    if (last) {
      const state = await readRunFolder(last).catch(() => undefined);
      const status = state?.run?.status;
      if (state && status && status !== 'completed') {
        const step = state.metrics.at(-1)?.step ?? 0;
        const choice =
          resume === true
            ? 'Resume'
            : resume === false
              ? 'Start Over'
              : await vscode.window.showQuickPick(['Resume', 'Start Over'], {
                  title: `MinT: the last fine-tune of this dataset is ${status} at step ${step} (${vscode.workspace.asRelativePath(last)})`,
                });
        if (!choice) return undefined;
        if (choice === 'Resume') return last;
      }
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const model = config.baseModel
      .split('/')
      .pop()!
      .replace(/[^\w.-]+/g, '-');
    return path.join(folder, 'runs', `sft-${path.basename(uri.fsPath, '.jsonl')}-${model}-${stamp}`);
  }

  /** The settings dialog: a base model, then every setting with its default shown, editable until Start. */
  private async askConfig(uri: vscode.Uri, models: string[]): Promise<FineTuneConfig | undefined> {
    const remembered = this.s.context.workspaceState.get<Record<string, FineTuneConfig>>(CONFIG_KEY, {})[uri.toString()];
    const preferred = remembered?.baseModel ?? vscode.workspace.getConfiguration('mint').get<string>('defaultModel', '');
    const base = await vscode.window.showQuickPick(
      [...models].sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0)),
      { title: 'MinT fine-tune: base model', placeHolder: 'The model to train a LoRA adapter on' },
    );
    if (!base) return undefined;
    // The local emulator's model is tiny: at MinT's learning rate its loss barely moves in a few
    // steps, so a first try there starts where it visibly learns (as examples/node does).
    const server = this.s.clients.server();
    const local = server !== undefined && !needsKey(server);
    const defaults = local ? { ...FINE_TUNE_DEFAULTS, learningRate: 1e-2, epochs: 3, batchSize: 4 } : FINE_TUNE_DEFAULTS;
    const c: Required<Omit<FineTuneConfig, 'trainOn'>> = { ...defaults, ...remembered, baseModel: base };
    type Field = { key: keyof typeof c; label: string; hint: string; parse: (v: string) => number | string | undefined };
    const num =
      (min: number, max: number, int = false) =>
      (v: string) => {
        const n = Number(v);
        return Number.isFinite(n) && n >= min && n <= max && (!int || Number.isInteger(n)) ? n : undefined;
      };
    const fields: Field[] = [
      { key: 'loraRank', label: 'LoRA rank', hint: 'a whole number, 1–256', parse: num(1, 256, true) },
      { key: 'learningRate', label: 'Learning rate', hint: 'e.g. 1e-4', parse: num(1e-8, 1) },
      {
        key: 'lrSchedule',
        label: 'Schedule',
        hint: 'constant, linear or cosine',
        parse: (v) => (['constant', 'linear', 'cosine'].includes(v) ? v : undefined),
      },
      { key: 'warmupSteps', label: 'Warm-up steps', hint: 'a whole number', parse: num(0, 1e6, true) },
      { key: 'epochs', label: 'Epochs', hint: 'a whole number, 1–100', parse: num(1, 100, true) },
      { key: 'batchSize', label: 'Batch size', hint: 'conversations per step, 1–1024', parse: num(1, 1024, true) },
      { key: 'evalSplit', label: 'Eval split', hint: 'a fraction (0.1) or a row count (20); 0 for none', parse: num(0, 1e6) },
      {
        key: 'checkpointEvery',
        label: 'Checkpoint every',
        hint: 'steps between saved states; 0 = only at the end',
        parse: num(0, 1e6, true),
      },
    ];
    for (;;) {
      const items = [
        { label: '$(rocket) Start fine-tune', description: `${base}`, field: undefined as Field | undefined },
        ...fields.map((f) => ({ label: `${f.label}: ${String(c[f.key])}`, description: f.hint, field: f })),
      ];
      const picked = await vscode.window.showQuickPick(items, {
        title: `MinT fine-tune ${path.basename(uri.fsPath)}: settings (pick one to change)`,
      });
      if (!picked) return undefined;
      if (!picked.field) return c;
      const f = picked.field;
      const value = await vscode.window.showInputBox({
        title: `MinT fine-tune: ${f.label}`,
        value: String(c[f.key]),
        prompt: f.hint,
        validateInput: (v) => (f.parse(v.trim()) === undefined ? `Expected ${f.hint}.` : undefined),
      });
      if (value !== undefined) (c as Record<string, unknown>)[f.key] = f.parse(value.trim());
    }
  }

  private async remember<T>(store: string, key: string, value: T): Promise<void> {
    const all = { ...this.s.context.workspaceState.get<Record<string, T>>(store, {}) };
    all[key] = value;
    await this.s.context.workspaceState.update(store, all);
  }
}

async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) {
    if (open.isDirty) await open.save();
    return open.getText();
  }
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}
