import * as vscode from 'vscode';
import type { ActiveClient } from '../clientManager';
import { readSettings } from '../settings';
import type { Services } from '../services';

/**
 * Samples a continuation of the selection (or the current line) with the current model and
 * opens it beside the editor. The native API takes token ids only, so this goes through MinT's
 * OpenAI-compatible text endpoint; the playground is the place for token-level sampling.
 */
export async function sampleSelection(s: Services): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('MinT: open a file and select the text to sample from (or put the cursor on a line).');
    return;
  }
  const doc = editor.document;
  const range = editor.selection.isEmpty
    ? doc.lineAt(editor.selection.active.line).range
    : new vscode.Range(editor.selection.start, editor.selection.end);
  const prompt = doc.getText(range);
  if (!prompt.trim()) {
    void vscode.window.showInformationMessage(
      'MinT: the selection is empty. Select some text (or put the cursor on a non-empty line) to sample from it.',
    );
    return;
  }
  await sampleRange(s, doc.uri, range, prompt);
}

async function sampleRange(s: Services, uri: vscode.Uri, range: vscode.Range, prompt: string): Promise<void> {
  const settings = readSettings();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MinT: sampling', cancellable: false },
    () =>
      s.operations.run(
        'sample selection',
        async (active, t) => {
          const model = settings.defaultModel || (await firstModel(active, t.signal));
          s.statusBar.setModel(model);
          const reply = await active.client
            .createOpenAIClient()
            .completions(
              { model, prompt, max_tokens: settings.sampleMaxTokens, temperature: 0.7 },
              { signal: t.signal, onRetryWait: t.onRetryWait },
            );
          t.requestId(reply.id);
          return { model, reply };
        },
        { origin: { uri, range }, retry: () => sampleRange(s, uri, range, prompt) },
      ),
  );
  if (!result) return;
  const { model, reply } = result;
  const choice = reply.choices[0];
  const content = [
    `<!-- MinT sample · model ${model}${reply.id ? ` · id ${reply.id}` : ''} · stop: ${choice?.finish_reason ?? 'unknown'} -->`,
    '',
    prompt + (choice?.text ?? ''),
    '',
  ].join('\n');
  const out = await vscode.workspace.openTextDocument(s.samples.add(model, content));
  await vscode.window.showTextDocument(out, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true });
}

async function firstModel(active: ActiveClient, signal: AbortSignal): Promise<string> {
  const caps = await active.client.getServerCapabilities({ signal });
  const first = caps.supported_models[0]?.model_name;
  if (!first) throw new Error('the server lists no models; set mint.defaultModel to a model name');
  return first;
}
