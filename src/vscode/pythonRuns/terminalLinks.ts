/**
 * Links in any terminal (shell integration or not): request ids, Log IDs and trace ids copy with
 * a click; a checkpoint path opens in the playground or the Training Runs view; a MinT exception
 * class explains itself with the same words the extension uses for its own failures.
 */
import * as vscode from 'vscode';
import { findLinks, type LineLink } from '../../python/traceback';
import type { PlaygroundSession } from '../playground/session';

export interface MintTerminalLink extends vscode.TerminalLink {
  link: LineLink;
  line: string;
}

const TOOLTIPS: Record<LineLink['kind'], string> = {
  requestId: 'MinT: copy request_id',
  logId: 'MinT: copy this Log ID (the request id MinT support asks for)',
  traceId: 'MinT: copy this trace id',
  checkpoint: 'MinT: open this checkpoint (playground or Training Runs)',
  exceptionClass: 'MinT: explain this error',
};

export function provideLinks(context: vscode.TerminalLinkContext, _token?: vscode.CancellationToken): MintTerminalLink[] {
  return findLinks(context.line).map((link) => ({
    startIndex: link.start,
    length: link.length,
    tooltip: TOOLTIPS[link.kind],
    link,
    line: context.line,
  }));
}

export async function handleLink(t: MintTerminalLink, playground: () => Promise<PlaygroundSession>): Promise<void> {
  const { link } = t;
  switch (link.kind) {
    case 'requestId':
    case 'logId':
    case 'traceId':
      await vscode.commands.executeCommand('mint.copyRequestId', link.value);
      return;
    case 'checkpoint':
      await openCheckpoint(link.value, playground);
      return;
    case 'exceptionClass': {
      // The id and message printed on the same line belong to this exception.
      const id = findLinks(t.line).find((l) => l.kind === 'requestId' || l.kind === 'logId' || l.kind === 'traceId')?.value;
      const after = t.line.slice(link.start + link.length).replace(/^\s*:\s*/, '');
      await vscode.commands.executeCommand('mint.explainError', link.className ?? link.value, id, after || undefined);
      return;
    }
  }
}

/** A checkpoint path from a run's output: sample it (sampler weights only), find its run, or copy it. */
export async function openCheckpoint(path: string, playground: () => Promise<PlaygroundSession>): Promise<void> {
  const sampler = /\/sampler_weights\//.test(path) || /^ckpt_/.test(path);
  const items: (vscode.QuickPickItem & { id: 'sample' | 'runs' | 'copy' })[] = [
    sampler
      ? { id: 'sample', label: '$(beaker) Sample in Playground', detail: 'Adds it as a column beside the model you have, to compare' }
      : {
          id: 'sample',
          label: '$(circle-slash) Sample in Playground',
          detail: 'Not possible: weights/ holds training state for resuming; save_weights_for_sampler makes a sampler_weights/ checkpoint',
        },
    {
      id: 'runs',
      label: '$(list-tree) Show in Training Runs',
      detail: 'Opens the Training Runs view (the path is copied, to find it there)',
    },
    { id: 'copy', label: '$(clippy) Copy path' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `MinT checkpoint ${path}`, placeHolder: 'What to do with it' });
  if (!picked) return;
  if (picked.id === 'sample') {
    if (!sampler) {
      void vscode.window.showWarningMessage(
        `MinT: ${path} is a training checkpoint (weights/), which cannot be sampled. Sample a sampler_weights/ checkpoint of the same run.`,
      );
      return;
    }
    await (await playground()).addTarget({ model_path: path });
    await vscode.commands.executeCommand('mint.openPlayground');
    return;
  }
  await vscode.env.clipboard.writeText(path);
  if (picked.id === 'runs') await vscode.commands.executeCommand('mint.runs.focus');
  vscode.window.setStatusBarMessage(`$(clippy) MinT: ${path} copied`, 3000);
}
