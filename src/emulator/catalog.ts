/**
 * The base models this emulator offers: the Qwen3-family entries of MinT's default list, plus
 * `Qwen/Qwen3.6-35B-A3B` with the 65,536-token context production reports (the snapshot's
 * registry says 4096). Every one is served by the same small bigram model over Qwen3's
 * tokenizer, which is honest enough for wire tests and offline demos.
 */
export interface CatalogModel {
  model_name: string;
  max_context_length: number;
  /** In billions, as MinT answers it (0.6, 4.0, 30.0). */
  num_parameters: number;
}

/** Sorted by size as MinT sorts them; equal sizes keep MinT's default-list order. */
export const CATALOG: readonly CatalogModel[] = [
  { model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768, num_parameters: 0.6 },
  { model_name: 'Qwen/Qwen3-4B-Thinking-2507', max_context_length: 32768, num_parameters: 4.0 },
  { model_name: 'Qwen/Qwen3-4B-Instruct-2507', max_context_length: 32768, num_parameters: 4.0 },
  { model_name: 'Qwen/Qwen3-30B-A3B-Instruct-2507', max_context_length: 32768, num_parameters: 30.0 },
  { model_name: 'Qwen/Qwen3.6-35B-A3B', max_context_length: 65536, num_parameters: 35.0 },
];

export function findModel(name: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.model_name === name);
}

export function supportedNames(): string {
  return CATALOG.map((m) => m.model_name).join(', ');
}

/** MinT's max_lora_rank. */
export const MAX_LORA_RANK = 64;
