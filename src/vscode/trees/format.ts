/**
 * How runs and checkpoints read in the tree. The words and the time format are the tinker CLI's
 * (`tinker run list`, `tinker checkpoint list`), so a user who knows one reads the other alike.
 * Pure functions: no vscode, no client.
 */

const DAY_S = 86_400;
/**
 * MinT writes run times without a zone ("2026-11-30T08:12:00.123456"); its servers keep UTC, and
 * JavaScript would read such a string as local time, off by the user's UTC offset.
 */
const NAIVE_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** The CLI's "Last Update": "just now", "5 minutes ago", "3 days ago", "2 weeks ago", then the date. */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return 'N/A';
  const t = new Date(NAIVE_ISO.test(iso) ? `${iso}Z` : iso);
  if (Number.isNaN(t.getTime())) return iso;
  // A server clock a little ahead of ours must not read as "in 3 seconds".
  const total = Math.max(0, Math.floor((now.getTime() - t.getTime()) / 1000));
  const days = Math.floor(total / DAY_S);
  const seconds = total % DAY_S;
  const plural = (n: number, unit: string): string => `${n} ${unit}${n > 1 ? 's' : ''} ago`;
  if (days > 30) return t.toISOString().slice(0, 10);
  if (days > 7) return plural(Math.floor(days / 7), 'week');
  if (days > 0) return plural(days, 'day');
  if (seconds > 3600) return plural(Math.floor(seconds / 3600), 'hour');
  if (seconds > 60) return plural(Math.floor(seconds / 60), 'minute');
  return 'just now';
}

/**
 * The path to show, copy and sample: in this client's scheme (mint://), as MinT's listing gives it
 * in `path`; its `tinker_path` is always tinker://, and older servers send only that.
 */
export function checkpointPath(cp: { path?: string | undefined; tinker_path: string }): string {
  return cp.path ?? cp.tinker_path;
}

/** The CLI's Size column: "512 B", "1.2 MB". */
export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes < 0) return 'N/A';
  let size = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB', 'TB', 'PB']) {
    if (size < 1024) return unit === 'B' ? `${Math.trunc(size)} B` : `${size.toFixed(1)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(1)} EB`;
}

/** The CLI's LoRA column: "Rank 16", else "Yes" / "No". */
export function loraText(run: { is_lora?: boolean | null; lora_rank?: number | null }): string {
  if (run.lora_rank) return `Rank ${run.lora_rank}`;
  return run.is_lora ? 'Yes' : 'No';
}

/**
 * A run id short enough for a sidebar. Ids are "<session uuid><suffix>" (":train:<n>" on Tinker,
 * "_<n>" on the emulator), and one session's runs differ only in the suffix: keep the uuid's first
 * 8 characters (as the playground's labels do) and the whole suffix; other long ids keep both ends.
 */
export function shortRunId(id: string): string {
  const m = /^([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(.*)$/i.exec(id);
  if (m) return `${m[1]}…${m[2]}`;
  return id.length > 24 ? `${id.slice(0, 11)}…${id.slice(-11)}` : id;
}

/** "sampler_weights/step-100" -> "step-100": the kind is already in the icon and the description. */
export function checkpointName(checkpointId: string): string {
  return checkpointId.replace(/^(sampler_)?weights\//, '');
}
