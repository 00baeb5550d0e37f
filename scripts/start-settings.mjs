// The settings `npm start` gives VS Code, written so that each start gets exactly what it prints.
// code-server keeps a Machine profile next to User (`<user-data>/Machine/settings.json`) that
// outranks User settings; MinT: Select Server writes mint.baseUrl there (application-wide on
// purpose), so a server chosen once would otherwise hijack every later start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What every `npm start` sets, whatever an earlier run left: the extension talks to this start's
 * emulator, and MinT opens its walkthrough ("Get started with MinT") the first time it runs in
 * this profile. code-server's own Welcome page stays shut: it opens code-server's walkthrough.
 */
export function startSettings(emulatorUrl) {
  return { 'mint.baseUrl': emulatorUrl, 'mint.openWalkthroughOnFirstRun': true, 'workbench.startupEditor': 'none' };
}

function readJson(file) {
  if (!existsSync(file)) return { value: {} };
  try {
    return { value: JSON.parse(readFileSync(file, 'utf8')) };
  } catch (err) {
    return { value: undefined, problem: err.message };
  }
}

/**
 * Writes User/settings.json as `defaults`, then what the user changed there, then `forced` (this
 * start's own values, which win), and removes the `forced` keys from the Machine profile.
 * Returns what to print: the file, the forced settings, what was removed from where, and
 * profiles that could not be read (then nothing there is changed and the caller warns).
 */
export function applyStartSettings(userDataDir, forced, defaults = {}) {
  const file = join(userDataDir, 'User', 'settings.json');
  const user = readJson(file);
  mkdirSync(dirname(file), { recursive: true });
  // Hand-edited with comments: keep the user's copy beside ours rather than lose it.
  if (!user.value && existsSync(file)) writeFileSync(`${file}.bak`, readFileSync(file));
  writeFileSync(file, JSON.stringify({ ...defaults, ...(user.value ?? {}), ...forced }, null, 2));

  const removed = [];
  const unreadable = [];
  const machine = join(userDataDir, 'Machine', 'settings.json');
  const m = readJson(machine);
  if (!m.value) unreadable.push({ file: machine, problem: m.problem });
  else {
    const kept = { ...m.value };
    for (const key of Object.keys(forced))
      if (key in kept) {
        removed.push({ file: machine, key, value: kept[key] });
        delete kept[key];
      }
    if (removed.length) writeFileSync(machine, JSON.stringify(kept, null, 2));
  }
  return { file, forced, removed, unreadable };
}

/** The lines `npm start` prints about its settings. */
export function describeStartSettings({ file, forced, removed, unreadable }) {
  const lines = [`Settings for this start (${file}):`, ...Object.entries(forced).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)];
  for (const r of removed)
    lines.push(`  removed ${r.key}: ${JSON.stringify(r.value)} from ${r.file} (left by an earlier run; it would outrank the above)`);
  for (const u of unreadable)
    lines.push(`  warning: could not read ${u.file} (${u.problem}); settings there outrank the above: remove MinT's from it by hand`);
  return lines.join('\n');
}
