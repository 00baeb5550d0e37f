/**
 * The command table's ids (src/vscode/commands/ids.ts, which the compiler holds the table to)
 * against what package.json contributes: a command contributed but never registered shows up in
 * the palette and fails with "command not found"; one registered but not contributed has no title.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRIBUTED_COMMANDS, INTERNAL_COMMANDS } from '../../../src/vscode/commands/ids';

interface Manifest {
  activationEvents?: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus?: Record<string, { command?: string; when?: string }[]>;
    views?: Record<string, { id: string }[]>;
    viewsWelcome?: { contents: string }[];
    walkthroughs?: { steps: { description: string; completionEvents?: string[] }[] }[];
  };
}

const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as Manifest;

describe('command table and package.json', () => {
  it('every contributed command is registered, and every registered command is contributed or internal', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...CONTRIBUTED_COMMANDS].sort(), contributed);
    for (const id of INTERNAL_COMMANDS) assert.ok(!contributed.includes(id), `${id} is listed as internal but contributed`);
  });

  it('every command has a title in the MinT category', () => {
    for (const c of manifest.contributes.commands) {
      assert.ok(c.title.trim().length > 0, `${c.command} has no title`);
      assert.equal(c.category, 'MinT', `${c.command} is not in the MinT category`);
    }
  });

  it('menus, welcome views and walkthrough links name only registered commands', () => {
    const known = new Set<string>([...CONTRIBUTED_COMMANDS, ...INTERNAL_COMMANDS]);
    const referenced: string[] = [];
    for (const entries of Object.values(manifest.contributes.menus ?? {}))
      for (const e of entries) if (e.command) referenced.push(e.command);
    const links = /command:(mint\.[\w.]+)/g;
    for (const w of manifest.contributes.viewsWelcome ?? []) for (const m of w.contents.matchAll(links)) referenced.push(m[1]!);
    for (const w of manifest.contributes.walkthroughs ?? []) {
      for (const step of w.steps) {
        for (const m of step.description.matchAll(links)) referenced.push(m[1]!);
        for (const ev of step.completionEvents ?? []) if (ev.startsWith('onCommand:')) referenced.push(ev.slice('onCommand:'.length));
      }
    }
    assert.ok(referenced.length > 10, `only ${referenced.length} references found: the manifest's shape changed`);
    const unknown = referenced.filter((id) => id.startsWith('mint.') && !known.has(id));
    assert.deepEqual(unknown, []);
  });
});
