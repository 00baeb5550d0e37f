/** Helpers for the dataset linter tests. */
import assert from 'node:assert/strict';
import { lintText, type LinterOptions } from '../../../src/datasets/linter';
import type { Finding, Fix, RuleId } from '../../../src/datasets/types';

export type Row = string | Record<string, unknown>;

export function doc(rows: readonly Row[]): string {
  return rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
}

export function lint(rows: readonly Row[], opts: LinterOptions = {}): { text: string; lines: string[]; findings: Finding[] } {
  const text = doc(rows);
  return { text, lines: text.split('\n'), findings: lintText(text, opts).findings };
}

export function byRule(findings: readonly Finding[], rule: RuleId): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

/** The one finding of a rule (fails when there is not exactly one). */
export function one(findings: readonly Finding[], rule: RuleId): Finding {
  const hits = byRule(findings, rule);
  assert.equal(
    hits.length,
    1,
    `expected one ${rule}, got ${hits.length}: ${JSON.stringify(
      findings.map((f) => [f.rule, f.path, f.message]),
      null,
      1,
    )}`,
  );
  return hits[0]!;
}

/** The text a finding's range covers (one line). */
export function covered(lines: readonly string[], f: Finding): string {
  assert.equal(f.range.start.line, f.line);
  assert.equal(f.range.end.line, f.line);
  return lines[f.line]!.slice(f.range.start.character, f.range.end.character);
}

/** The document text after a fix's edits (all on one line here). */
export function applyFix(text: string, fix: Fix): string {
  const lines = text.split('\n');
  const edits = [...fix.edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
  for (const e of edits) {
    assert.equal(e.range.start.line, e.range.end.line);
    const l = lines[e.range.start.line]!;
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

export const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });
export const assistant = (content: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  role: 'assistant',
  content,
  ...extra,
});
export const chat = (...messages: unknown[]): Record<string, unknown> => ({ messages });
