/**
 * The entry point: configuration, the session and its heartbeat, and factories for the other
 * clients. The session is created lazily (on the first training or sampling client) so that
 * listing models or runs never leaves a session behind on the server, as Tinker 0.25 does.
 */
import type { Dispatcher } from 'undici';
import { CancelledError, CheckpointPathError, NotFoundError, TinkerError } from './errors';
import { awaitFuture } from './futures';
import { normalizeCapabilities } from './listings';
import { OpenAIClient } from './openai';
import { parseCheckpointPath } from './paths';
import { RestClient } from './rest';
import { SamplingClient } from './sampling';
import {
  ClientConfigResponseSchema,
  CreateModelResultSchema,
  CreateSamplingSessionResponseSchema,
  CreateSessionResponseSchema,
  HealthResponseSchema,
  HeartbeatResponseSchema,
  ServerCapabilitiesSchema,
  UntypedFutureSchema,
  type ServerCapabilities,
} from './schemas';
import { CLIENT_VERSION, DEFAULT_USER_AGENT, resolveConfig } from './config';
import { TrainingClient, type SessionHandle, type TrainingCallOptions } from './training';
import { contextOf, Transport, type CallOptions, type RequestEvent } from './transport';

export interface ServiceClientOptions {
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  maxRetries?: number;
  dispatcher?: Dispatcher;
  userAgent?: string;
  defaultHeaders?: Record<string, string>;
  onRequest?: (e: RequestEvent) => void;
  heartbeatIntervalMs?: number;
  /** Where MINT_* / TINKER_* are read from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export type SamplingTarget = { base_model: string; model_path?: undefined } | { model_path: string; base_model?: undefined };

export interface LoraTrainingOptions {
  base_model: string;
  rank?: number;
  seed?: number;
  train_mlp?: boolean;
  train_attn?: boolean;
  train_unembed?: boolean;
  user_metadata?: Record<string, string>;
}

export interface HealthStatus {
  status: string;
  /** Tinker says "ok", MinT says "ready": both mean healthy. */
  ok: boolean;
}

/** Awaits a shared promise, but lets one caller's cancellation end only that caller's wait. */
function awaitCancellable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new CancelledError(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export class ServiceClient {
  readonly baseUrl: string;
  readonly hasApiKey: boolean;
  private readonly transport: Transport;
  private readonly heartbeatIntervalMs: number;
  private session: Promise<string> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  private modelSeq = 0;
  private samplingSeq = 0;
  private closed = false;

  constructor(options: ServiceClientOptions = {}) {
    const { baseUrl, apiKey } = resolveConfig(options, options.env);
    this.baseUrl = baseUrl;
    this.hasApiKey = apiKey !== undefined;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
    this.transport = new Transport({
      baseUrl,
      apiKey,
      timeoutMs: options.timeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      maxRetries: options.maxRetries ?? 10,
      dispatcher: options.dispatcher,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      defaultHeaders: options.defaultHeaders,
      onRequest: options.onRequest,
    });
  }

  async getServerCapabilities(opts?: CallOptions): Promise<ServerCapabilities> {
    const { data } = await this.transport.request(
      { method: 'GET', path: 'api/v1/get_server_capabilities', schema: ServerCapabilitiesSchema },
      contextOf(opts),
    );
    return normalizeCapabilities(data);
  }

  /** One attempt, no retries: a health check reports the state now, it does not wait it out. */
  async healthCheck(opts?: CallOptions): Promise<HealthStatus> {
    const { data } = await this.transport.request(
      { method: 'GET', path: 'api/v1/healthz', schema: HealthResponseSchema, maxRetries: 0 },
      contextOf(opts),
    );
    return { status: data.status, ok: data.status === 'ok' || data.status === 'ready' };
  }

  /** The session id, creating the session (and starting its heartbeat) on first use. */
  async sessionId(opts?: CallOptions): Promise<string> {
    if (this.closed) throw new TinkerError('This MinT ServiceClient is closed; create a new one.');
    if (!this.session) {
      // Shared by concurrent callers, so it runs under no single caller's signal.
      const p = this.createSession(contextOf({ timeoutMs: opts?.timeoutMs }));
      this.session = p;
      p.catch(() => {
        if (this.session === p) this.session = undefined;
      });
    }
    return awaitCancellable(this.session, opts?.signal);
  }

  private async createSession(ctx: ReturnType<typeof contextOf>): Promise<string> {
    try {
      await this.transport.request(
        { method: 'POST', path: 'api/v1/client/config', body: { sdk_version: CLIENT_VERSION }, schema: ClientConfigResponseSchema },
        ctx,
      );
    } catch (err) {
      // Older servers lack the route; the flags it returns only tune optional behaviour.
      if (!(err instanceof NotFoundError)) throw err;
    }
    const { data } = await this.transport.request(
      {
        method: 'POST',
        path: 'api/v1/create_session',
        body: { tags: [], user_metadata: {}, sdk_version: CLIENT_VERSION, type: 'create_session' },
        schema: CreateSessionResponseSchema,
      },
      ctx,
    );
    if (!this.closed) this.startHeartbeat(data.session_id);
    return data.session_id;
  }

  private startHeartbeat(session_id: string): void {
    if (this.heartbeatIntervalMs <= 0) return;
    this.heartbeat = setInterval(() => {
      if (this.beating) return;
      this.beating = true;
      this.transport
        .request(
          {
            method: 'POST',
            path: 'api/v1/session_heartbeat',
            body: { session_id, type: 'session_heartbeat' },
            schema: HeartbeatResponseSchema,
            maxRetries: 0,
            attemptTimeoutMs: 10_000,
          },
          contextOf(undefined),
        )
        // A missed beat is not the user's problem: the next one is 10 s away, MinT waits 300 s.
        .catch(() => undefined)
        .finally(() => (this.beating = false));
    }, this.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private handle(session_id: string): SessionHandle {
    return {
      session_id,
      nextSamplingSeqId: () => this.samplingSeq++,
      samplingClientForPath: (model_path, opts) => this.createSamplingClient({ model_path }, opts),
    };
  }

  async createSamplingClient(target: SamplingTarget, opts?: CallOptions): Promise<SamplingClient> {
    if (target.model_path !== undefined && /^(mint|tinker):\/\//.test(target.model_path)) {
      const p = parseCheckpointPath(target.model_path);
      if (p.kind === 'weights') {
        throw new CheckpointPathError(
          target.model_path,
          'it is training state (weights/), which cannot be sampled; save with saveWeightsForSampler and sample its sampler_weights/ path',
        );
      }
    }
    const session_id = await this.sessionId(opts);
    const body =
      target.model_path !== undefined
        ? { session_id, sampling_session_seq_id: this.samplingSeq++, model_path: target.model_path, type: 'create_sampling_session' }
        : { session_id, sampling_session_seq_id: this.samplingSeq++, base_model: target.base_model, type: 'create_sampling_session' };
    const { data } = await this.transport.request(
      { method: 'POST', path: 'api/v1/create_sampling_session', body, schema: CreateSamplingSessionResponseSchema },
      contextOf(opts),
    );
    return new SamplingClient(this.transport, data.sampling_session_id);
  }

  async createLoraTrainingClient(args: LoraTrainingOptions, opts?: TrainingCallOptions): Promise<TrainingClient> {
    const session_id = await this.sessionId(opts);
    const ctx = contextOf(opts);
    const lora_config: Record<string, unknown> = {
      rank: args.rank ?? 32,
      train_unembed: args.train_unembed ?? true,
      train_mlp: args.train_mlp ?? true,
      train_attn: args.train_attn ?? true,
    };
    if (args.seed !== undefined) lora_config.seed = args.seed;
    const body: Record<string, unknown> = {
      session_id,
      model_seq_id: this.modelSeq++,
      base_model: args.base_model,
      lora_config,
      type: 'create_model',
    };
    if (args.user_metadata) body.user_metadata = args.user_metadata;
    const { data: fut } = await this.transport.request(
      // MinT fails a repeated create_model (same session and model_seq_id): never resend one it may have.
      { method: 'POST', path: 'api/v1/create_model', body, schema: UntypedFutureSchema, exactlyOnce: 'create_model' },
      ctx,
    );
    const { data } = await awaitFuture(this.transport, fut.request_id, CreateModelResultSchema, ctx, {
      requestType: 'CreateModel',
      onQueueState: opts?.onQueueState,
    });
    return new TrainingClient(this.transport, data.model_id, this.handle(session_id));
  }

  createRestClient(): RestClient {
    return new RestClient(this.transport);
  }

  createOpenAIClient(): OpenAIClient {
    return new OpenAIClient(this.transport);
  }

  /** Stops the heartbeat and closes the connection pool this client created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.transport.close();
  }
}
