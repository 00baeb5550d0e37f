/**
 * The base models this emulator offers. Names and context lengths follow MinT's default list;
 * every one is served by the same small bigram model over Qwen3's tokenizer, which is honest
 * enough for wire tests and offline demos (all of them are Qwen3-family tokenizers).
 */
export interface CatalogModel {
  model_name: string;
  max_context_length: number;
  num_parameters: number;
}

export const CATALOG: readonly CatalogModel[] = [
  { model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768, num_parameters: 600_000_000 },
  { model_name: 'Qwen/Qwen3-4B-Instruct-2507', max_context_length: 32768, num_parameters: 4_000_000_000 },
  { model_name: 'Qwen/Qwen3-4B-Thinking-2507', max_context_length: 32768, num_parameters: 4_000_000_000 },
  { model_name: 'Qwen/Qwen3-30B-A3B-Instruct-2507', max_context_length: 32768, num_parameters: 30_000_000_000 },
];

export function findModel(name: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.model_name === name);
}

export function supportedNames(): string {
  return CATALOG.map((m) => m.model_name).join(', ');
}

/** MinT's max_lora_rank. */
export const MAX_LORA_RANK = 64;
