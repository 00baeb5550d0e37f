import { request } from 'undici';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../../src/emulator/index';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else undefined. */
  json: any;
  text: string;
}

/** One real HTTP exchange with the emulator through undici, no client library in between. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(base + path, {
    method: method as 'GET',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
  return { status: res.statusCode, headers: h, json, text };
}

export const post = (base: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(base, 'POST', path, body ?? {}, headers);
export const get = (base: string, path: string, headers?: Record<string, string>) => call(base, 'GET', path, undefined, headers);

export async function withEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ faults: true, longPollMs: 2_000, ...opts });
}

/** Polls a future to its end; fails the test rather than looping if it stays pending. */
export async function result(base: string, requestId: string, maxPolls = 20): Promise<any> {
  for (let i = 0; i < maxPolls; i++) {
    const r = await post(base, '/api/v1/retrieve_future', { request_id: requestId, allow_metadata_only: false });
    if (r.status === 408) continue;
    if (r.status !== 200) throw new Error(`retrieve_future answered ${r.status}: ${r.text}`);
    return r.json;
  }
  throw new Error(`future ${requestId} still pending after ${maxPolls} polls`);
}

export async function session(base: string): Promise<string> {
  const r = await post(base, '/api/v1/create_session', { tags: [], user_metadata: {}, sdk_version: 'test', type: 'create_session' });
  if (r.status !== 200) throw new Error(`create_session: ${r.status} ${r.text}`);
  return r.json.session_id as string;
}

export async function samplingSession(
  base: string,
  sessionId: string,
  seq: number,
  sel: { base_model?: string; model_path?: string },
): Promise<string> {
  const r = await post(base, '/api/v1/create_sampling_session', {
    session_id: sessionId,
    sampling_session_seq_id: seq,
    ...sel,
    type: 'create_sampling_session',
  });
  if (r.status !== 200) throw new Error(`create_sampling_session: ${r.status} ${r.text}`);
  return r.json.sampling_session_id as string;
}

export async function sample(base: string, body: Record<string, unknown>): Promise<any> {
  const r = await post(base, '/api/v1/asample', { type: 'sample', num_samples: 1, ...body });
  if (r.status !== 200) throw new Error(`asample: ${r.status} ${r.text}`);
  return result(base, r.json.request_id);
}

export const prompt = (tokens: number[]) => ({ chunks: [{ type: 'encoded_text', tokens }] });

export async function trainingModel(base: string, sessionId: string, seq = 0, rank = 8, seed = 7): Promise<string> {
  const r = await post(base, '/api/v1/create_model', {
    session_id: sessionId,
    model_seq_id: seq,
    base_model: 'Qwen/Qwen3-0.6B',
    lora_config: { rank, seed, train_mlp: true, train_attn: true, train_unembed: true },
    type: 'create_model',
  });
  if (r.status !== 200) throw new Error(`create_model: ${r.status} ${r.text}`);
  const res = await result(base, r.json.request_id);
  return res.model_id as string;
}

const f32 = (data: number[]) => ({ data, dtype: 'float32', shape: [data.length] });
const i64 = (data: number[]) => ({ data, dtype: 'int64', shape: [data.length] });

/** A datum in Tinker's shifted layout: position i of the input predicts token i + 1. */
export function datum(full: number[], extra: Record<string, number[]> = {}, weights?: number[]) {
  const input = full.slice(0, -1);
  const inputs: Record<string, unknown> = { target_tokens: i64(full.slice(1)), weights: f32(weights ?? input.map(() => 1)) };
  for (const [k, v] of Object.entries(extra)) inputs[k] = f32(v);
  return { model_input: prompt(input), loss_fn_inputs: inputs };
}

export class SeqCounter {
  private n = 0;
  next(): number {
    return ++this.n;
  }
}

export async function op(base: string, route: string, body: Record<string, unknown>): Promise<any> {
  const r = await post(base, `/api/v1/${route}`, body);
  if (r.status !== 200) throw new Error(`${route}: ${r.status} ${r.text}`);
  return result(base, r.json.request_id);
}
