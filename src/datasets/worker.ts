/**
 * The dataset linter in a worker thread, so linting a 100,000-row file (and measuring its rows
 * with the model's tokenizer) never stalls the extension host. The host sends each open JSONL
 * document's text once and then only its edits; the worker keeps a DatasetLinter per document and
 * answers every message with that document's findings and summary.
 *
 * Protocol (structured clone, no vscode types):
 *   host -> worker  open {uri, version, text, path, train?}  update {uri, version, changes}
 *                   close {uri}  measure {tokenizer, contextLength, label}
 *   worker -> host  result {uri, version, kind, findings, summary}
 * A file is linted only when it looks like a training dataset: prompt files (rows to sample, no
 * answers) and other JSONL (metrics, results) get kind "prompts"/"other" and no findings.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type { TokenizerLoadOptions } from '../mint/tokenizer';
import { DatasetLinter, overlapIndexOfText, summaryLines } from './index';
import type { Finding, MeasureFn, TextChange } from './types';

export type DatasetKind = 'dataset' | 'prompts' | 'other';

export type HostToWorker =
  | { type: 'open'; uri: string; version: number; text: string; path: string; train?: string | undefined }
  | { type: 'update'; uri: string; version: number; changes: TextChange[] }
  | { type: 'close'; uri: string }
  | { type: 'measure'; tokenizer: { model: string; options: TokenizerLoadOptions }; contextLength: number | undefined; label: string };

export type WorkerToHost = {
  type: 'result';
  uri: string;
  version: number;
  kind: DatasetKind;
  /** The detected format (sft-messages, dpo-prompt, …), when it is a dataset. */
  format: string | undefined;
  findings: Finding[];
  summary: { status: string; hover: string[] } | undefined;
};

interface Doc {
  version: number;
  linter: DatasetLinter;
  train: { name: string; index: Map<number, number[]> } | undefined;
  kind: DatasetKind;
}

const docs = new Map<string, Doc>();
let measure: { fn: MeasureFn; contextLength: number | undefined; label: string } | undefined;
let measuring: AbortController | undefined;

/** Rows to sample (no answers) are a prompt file, not a dataset: the batch lenses handle those. */
function kindOf(linter: DatasetLinter): DatasetKind {
  const f = linter.format();
  if (!f.format) return 'other';
  if (f.format !== 'sft-messages' && f.format !== 'sft-fields') return 'dataset';
  // A chat file whose rows mostly end without an assistant turn is a list of prompts.
  const s = linter.summary();
  const noTarget = linter
    .findings()
    .filter((x) => x.rule === 'no-assistant' || (x.rule === 'missing-field' && /target|completion|output|answer/i.test(x.message))).length;
  return s.rows > 0 && noTarget > s.rows / 2 ? 'prompts' : 'dataset';
}

function findingsOf(doc: Doc): Finding[] {
  if (doc.kind !== 'dataset') return [];
  const own = doc.linter.findings();
  return doc.train ? [...own, ...doc.linter.overlapFindings(doc.train.index, doc.train.name)] : own;
}

function post(uri: string, doc: Doc): void {
  const msg: WorkerToHost = {
    type: 'result',
    uri,
    version: doc.version,
    kind: doc.kind,
    format: doc.kind === 'dataset' ? doc.linter.format().format : undefined,
    findings: findingsOf(doc),
    summary: doc.kind === 'dataset' ? summaryLines(doc.linter.summary()) : undefined,
  };
  parentPort?.postMessage(msg);
}

async function open(m: Extract<HostToWorker, { type: 'open' }>): Promise<void> {
  const linter = new DatasetLinter(
    measure ? { measure: measure.fn, contextLength: measure.contextLength, measureLabel: measure.label } : {},
  );
  linter.setText(m.text);
  const doc: Doc = { version: m.version, linter, train: undefined, kind: 'other' };
  doc.kind = kindOf(linter);
  docs.set(m.uri, doc);
  if (m.train && doc.kind === 'dataset') {
    try {
      const text = await readFile(m.train, 'utf8');
      doc.train = { name: m.train.split(/[\\/]/).pop() ?? m.train, index: overlapIndexOfText(text) };
    } catch {
      // No readable train file: no overlap check.
    }
  }
  post(m.uri, doc);
  if (measure && doc.kind === 'dataset') void measureAll();
}

async function measureAll(): Promise<void> {
  measuring?.abort();
  const abort = new AbortController();
  measuring = abort;
  for (const [uri, doc] of docs) {
    if (doc.kind !== 'dataset' || doc.linter.pendingMeasure() === 0) continue;
    let last = Date.now();
    while (!abort.signal.aborted && doc.linter.pendingMeasure() > 0) {
      await doc.linter.measureAll({ budgetMs: 50, signal: abort.signal, yieldFn: () => new Promise((r) => setImmediate(r)) });
      // Progress every half second or so, and once at the end.
      if (Date.now() - last > 500 || doc.linter.pendingMeasure() === 0) {
        last = Date.now();
        if (docs.get(uri) === doc) post(uri, doc);
      }
    }
  }
}

async function setMeasure(m: Extract<HostToWorker, { type: 'measure' }>): Promise<void> {
  const { loadTokenizer } = await import('../mint/tokenizer');
  const { measureWithTemplate } = await import('./templateLength');
  const tok = await loadTokenizer(m.tokenizer.model, { ...m.tokenizer.options, hub: false });
  measure = { fn: measureWithTemplate(tok), contextLength: m.contextLength, label: m.label };
  for (const [uri, doc] of docs) {
    doc.linter.setMeasure(measure.fn, measure.contextLength, measure.label);
    post(uri, doc);
  }
  // In slices, beside the message queue: edits keep being answered while rows are measured.
  void measureAll();
}

let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (m: HostToWorker) => {
  // One message at a time, in order: an update must find the text its open left.
  queue = queue
    .then(async () => {
      switch (m.type) {
        case 'open':
          return open(m);
        case 'update': {
          const doc = docs.get(m.uri);
          if (!doc) return;
          doc.linter.update(m.changes);
          doc.version = m.version;
          doc.kind = kindOf(doc.linter);
          post(m.uri, doc);
          if (measure && doc.kind === 'dataset' && doc.linter.pendingMeasure() > 0) void measureAll();
          return;
        }
        case 'close':
          docs.delete(m.uri);
          return;
        case 'measure':
          return setMeasure(m);
      }
    })
    .catch((e: unknown) => {
      parentPort?.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    });
});
