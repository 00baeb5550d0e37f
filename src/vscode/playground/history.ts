/**
 * Playground history: every run, kept per workspace as JSON Lines in the extension's workspace
 * storage. Append-only (a crash loses at most the line being written), newest record of an id
 * wins, compacted when dead lines pile up. No vscode import, so it is testable in plain Node.
 *
 * Nothing secret goes in: a run holds prompt, targets, parameters and results by construction,
 * and every line still passes through `redact` (the log's redactor) in case a key was pasted
 * into a prompt.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunSchema, promptTitle, targetLabel, type HistorySummary, type Run } from '../../shared/playground';

export const HISTORY_LIMIT = 10_000;

export class HistoryStore {
  private readonly runs = new Map<string, Run>(); // insertion order = age, oldest first
  private summaries: HistorySummary[] | undefined;
  /** Per run, its searchable text in lower case (prompt, name, models, samples, branches); built on first search. */
  private readonly haystacks = new Map<string, string>();
  private lines = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly redact: (s: string) => string,
    private readonly warn: (msg: string) => void,
  ) {
    this.file = join(dir, 'playground-history.jsonl');
  }

  get path(): string {
    return this.file;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    let bad = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.lines++;
      try {
        const rec = JSON.parse(line) as { deleted?: string; cleared?: boolean };
        if (rec.cleared) this.runs.clear();
        else if (typeof rec.deleted === 'string') this.runs.delete(rec.deleted);
        else {
          const run = RunSchema.parse(rec);
          this.runs.delete(run.id);
          this.runs.set(run.id, run);
        }
      } catch {
        bad++;
      }
    }
    // A torn last line (crash mid-write) or a hand edit costs those lines, not the whole history.
    if (bad) this.warn(`skipped ${bad} unreadable line(s) in ${this.file}`);
    this.trim();
    this.summaries = undefined;
  }

  get size(): number {
    return this.runs.size;
  }

  get(id: string): Run | undefined {
    return this.runs.get(id);
  }

  /** Pinned first, then newest first. Cached: the webview asks for it after every run. */
  list(): HistorySummary[] {
    if (!this.summaries) {
      const all = [...this.runs.values()].reverse().map(summarize);
      this.summaries = [...all.filter((r) => r.pinned), ...all.filter((r) => !r.pinned)];
    }
    return this.summaries;
  }

  /**
   * Runs whose prompt, name, models, samples or branches contain every word of `query` (case
   * ignored), in list order; at most `limit`. An empty query is the whole list.
   */
  search(query: string, limit = 500): HistorySummary[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return this.list().slice(0, limit);
    const out: HistorySummary[] = [];
    for (const summary of this.list()) {
      const run = this.runs.get(summary.id);
      if (!run) continue;
      let hay = this.haystacks.get(run.id);
      if (hay === undefined) this.haystacks.set(run.id, (hay = searchText(run)));
      if (words.every((w) => hay.includes(w))) out.push(summary);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Names or pins a run; false when there is no such run. */
  async setMeta(id: string, meta: { name?: string; pinned?: boolean }): Promise<boolean> {
    const run = this.runs.get(id);
    if (!run) return false;
    const next: Run = { ...run };
    if (meta.name !== undefined) {
      if (meta.name.trim()) next.name = meta.name.trim();
      else delete next.name;
    }
    if (meta.pinned !== undefined) {
      if (meta.pinned) next.pinned = true;
      else delete next.pinned;
    }
    // Kept where it was in age order: a pin or a name does not make a run newer.
    this.runs.set(id, next);
    this.haystacks.delete(id);
    this.summaries = undefined;
    await this.append(JSON.stringify(next));
    return true;
  }

  put(run: Run): Promise<void> {
    const copy = structuredClone(run);
    // Pending outcomes are never stored as pending: a reload would show a spinner forever.
    for (const o of copy.outcomes)
      if (o.status === 'pending') Object.assign(o, { status: 'cancelled', queue: undefined, note: 'Interrupted before it finished.' });
    // A rerun's update of a pinned or named run keeps what the user gave it.
    const old = this.runs.get(copy.id);
    if (old?.name !== undefined && copy.name === undefined) copy.name = old.name;
    if (old?.pinned && copy.pinned === undefined) copy.pinned = true;
    this.runs.delete(copy.id);
    this.runs.set(copy.id, copy);
    this.trim();
    this.haystacks.delete(copy.id);
    this.summaries = undefined;
    return this.append(JSON.stringify(copy));
  }

  delete(id: string): Promise<void> {
    if (!this.runs.delete(id)) return this.writing;
    this.haystacks.delete(id);
    this.summaries = undefined;
    return this.append(JSON.stringify({ deleted: id }));
  }

  clear(): Promise<void> {
    this.runs.clear();
    this.summaries = undefined;
    return this.rewrite();
  }

  exportJsonl(): string {
    return [...this.runs.values()].map((r) => this.redact(JSON.stringify(r))).join('\n') + (this.runs.size ? '\n' : '');
  }

  exportMarkdown(): string {
    const out: string[] = ['# MinT playground history', ''];
    for (const r of [...this.runs.values()].reverse()) out.push(runToMarkdown(r), '');
    return this.redact(out.join('\n'));
  }

  private trim(): void {
    while (this.runs.size > HISTORY_LIMIT) {
      const oldest = this.runs.keys().next().value as string;
      this.runs.delete(oldest);
    }
  }

  private append(line: string): Promise<void> {
    this.lines++;
    const compact = this.lines > 2 * this.runs.size + 100;
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.dir, { recursive: true });
        if (compact) await this.writeAll();
        else await appendFile(this.file, this.redact(line) + '\n');
      });
    return this.writing;
  }

  private rewrite(): Promise<void> {
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.dir, { recursive: true });
        await this.writeAll();
      });
    return this.writing;
  }

  /** Whole file via a temp file and rename, so a crash leaves the old or the new, never half. */
  private async writeAll(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const body = [...this.runs.values()].map((r) => this.redact(JSON.stringify(r)) + '\n').join('');
    await writeFile(tmp, body);
    await rename(tmp, this.file);
    this.lines = this.runs.size;
  }
}

export function summarize(r: Run): HistorySummary {
  const status = r.outcomes.some((o) => o.status === 'failed')
    ? 'failed'
    : r.outcomes.some((o) => o.status === 'cancelled')
      ? 'cancelled'
      : r.outcomes.some((o) => o.status === 'pending')
        ? 'pending'
        : 'done';
  const branches = r.outcomes.reduce((n, o) => n + (o.branches?.length ?? 0), 0);
  const samples = r.outcomes.reduce((n, o) => n + (o.samples?.length ?? 0), 0);
  return {
    id: r.id,
    time: r.time,
    title: promptTitle(r).slice(0, 200),
    models: r.outcomes.map((o) => targetLabel(o.target)),
    status,
    ...(r.name ? { name: r.name } : {}),
    ...(r.pinned ? { pinned: true } : {}),
    ...(r.completion !== undefined ? { kind: 'score' as const } : {}),
    ...(branches ? { branches } : {}),
    ...(samples ? { samples } : {}),
  };
}

/** Everything a search looks in, lower-cased once. */
function searchText(r: Run): string {
  const parts: string[] = [r.name ?? '', r.completion ?? ''];
  if (r.prompt.mode === 'chat') for (const m of r.prompt.messages) parts.push(m.content);
  else parts.push(r.prompt.text);
  for (const o of r.outcomes) {
    parts.push(targetLabel(o.target));
    for (const s of o.samples ?? []) parts.push(s.text);
    for (const b of o.branches ?? []) parts.push(b.token[1], b.sample?.text ?? '');
  }
  return parts.join('\n').toLowerCase();
}

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}\n${text}\n${f}`;
}

export function runToMarkdown(r: Run): string {
  const out: string[] = [`## ${r.time} — ${r.outcomes.map((o) => targetLabel(o.target)).join(' vs ')}`, ''];
  const p = r.params;
  out.push(
    `Parameters: max_tokens ${p.max_tokens}` +
      (p.temperature !== undefined ? `, temperature ${p.temperature}` : '') +
      (p.top_p !== undefined ? `, top_p ${p.top_p}` : '') +
      (p.top_k !== undefined ? `, top_k ${p.top_k}` : '') +
      (p.seed !== undefined ? `, seed ${p.seed}` : '') +
      `, samples ${p.num_samples}` +
      (p.stop?.length ? `, stop ${JSON.stringify(p.stop)}` : ''),
    '',
  );
  if (r.prompt.mode === 'chat') {
    out.push('Prompt (chat):', '');
    for (const m of r.prompt.messages) out.push(`**${m.role}**`, '', fence(m.content), '');
  } else {
    out.push('Prompt (raw):', '', fence(r.prompt.text), '');
  }
  for (const o of r.outcomes) {
    out.push(`### ${targetLabel(o.target)} — ${o.status}` + (o.request_id ? ` (request_id \`${o.request_id}\`)` : ''), '');
    if (o.error) out.push(`Error (${o.error.kind}): ${o.error.message}`, '');
    if (o.score) {
      out.push(
        `Scored completion: total logprob ${o.score.total.toFixed(3)}, mean ${o.score.mean.toFixed(3)} over ${o.score.tokens} tokens`,
        '',
      );
    }
    (o.samples ?? []).forEach((s, i) => {
      const n = s.tokens?.ids.length;
      out.push(`Sample ${i + 1} (stop: ${s.stop_reason}${n !== undefined ? `, ${n} tokens` : ''}):`, '', fence(s.text), '');
    });
    for (const b of o.branches ?? []) {
      const from = b.parent ? `branch ${b.parent}` : `sample ${b.from + 1}`;
      out.push(
        `Branch ${b.id} from ${from} at token ${b.at + 1} with ${JSON.stringify(b.token[1])} (${b.status}):`,
        '',
        fence(b.sample?.text ?? ''),
        '',
      );
    }
  }
  return out.join('\n');
}
