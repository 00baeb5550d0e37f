#!/usr/bin/env node
// Trains a tiny LoRA for a few steps and saves a sampler checkpoint, so the Training Runs view
// has something to compare against the base model ("Sample in Playground" on the checkpoint).
// Uses only this repository's client (dist/mint.js, from `npm run build`); no Python, no tokenizer:
// the token ids are Qwen3's, which the local emulator uses too.
//
//   node examples/node/train-tiny-lora.mjs [--base-url URL] [--steps N] [--model NAME]
//
// The server is --base-url, else MINT_BASE_URL, else the local emulator `npm start` runs
// (http://127.0.0.1:8765). The key is MINT_API_KEY (any value, or none, for the emulator).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const distMint = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'mint.js');
if (!existsSync(distMint)) {
  console.error(`${distMint} is missing: run "npm run build" first.`);
  process.exit(2);
}
const mint = createRequire(import.meta.url)(distMint);

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const baseUrl = opt('--base-url', process.env.MINT_BASE_URL || 'http://127.0.0.1:8765');
const steps = Number(opt('--steps', 5));
const model = opt('--model', 'Qwen/Qwen3-0.6B');
if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
  console.error(`--base-url needs an http(s) URL such as http://127.0.0.1:8765, got ${baseUrl}`);
  process.exit(2);
}
if (!Number.isInteger(steps) || steps < 1) {
  console.error(`--steps needs a whole number of at least 1, got ${opt('--steps')}`);
  process.exit(2);
}

// "The sea is calm tonight." and a second short sentence, as Qwen3 token ids: next-token targets.
const sentences = [
  [785, 9396, 374, 19300, 17913, 13],
  [40, 3937, 279, 9396, 1817, 6556, 13],
];
const data = sentences.map((ids) => mint.Datum.from({ model_input: ids.slice(0, -1), loss_fn_inputs: { target_tokens: ids.slice(1) } }));

const service = new mint.ServiceClient({ baseUrl, apiKey: process.env.MINT_API_KEY ?? '' });
try {
  const training = await service.createLoraTrainingClient({ base_model: model, rank: 8, seed: 1 });
  console.log(`training run ${training.model_id} on ${baseUrl} (${model}, LoRA rank 8)`);
  for (let step = 1; step <= steps; step++) {
    const fb = await training.forwardBackward(data, 'cross_entropy');
    await training.optimStep({ learning_rate: 1e-3 });
    const loss = fb.metrics?.['loss:sum'];
    console.log(`step ${step}/${steps}${typeof loss === 'number' ? `: loss ${loss.toFixed(3)}` : ''}`);
  }
  const saved = await training.saveWeightsForSampler(`step${steps}`);
  console.log(`sampler checkpoint: ${saved.path}`);
  console.log('In VS Code: MinT Training Runs → refresh, then "Sample in Playground" on the checkpoint to compare it with the base model.');
} catch (err) {
  console.error(`training failed: ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
  process.exitCode = 1;
} finally {
  service.close();
}
