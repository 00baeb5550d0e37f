/**
 * Read-mostly REST routes: runs, checkpoints, sessions, samplers. MinT lacks several Tinker
 * routes, and FastAPI answers those with a bare `{"detail":"Not Found"}`; that is reported as
 * NotSupportedError ("… is not supported by this server") so nobody hunts for a wrong id.
 */
import { z } from 'zod';
import { downloadArchive, openArchive, type ArchiveDownload, type ArchiveUrl } from './archive';
import { NotFoundError, NotSupportedError, TinkerError, asNotSupported } from './errors';
import { normalizeCheckpoints, normalizeRun } from './listings';
import { parseCheckpointPath } from './paths';
import {
  CheckpointsResponseSchema,
  SamplerSchema,
  SessionSchema,
  SessionsResponseSchema,
  TrainingRunSchema,
  TrainingRunsResponseSchema,
  WeightsInfoResponseSchema,
  type Checkpoint,
  type Sampler,
  type Session,
  type SessionsResponse,
  type TrainingRun,
  type TrainingRunsResponse,
  type WeightsInfoResponse,
} from './schemas';
import { contextOf, type CallOptions, type RequestSpec, type Transport } from './transport';

export interface PageOptions {
  limit?: number;
  offset?: number;
  access_scope?: 'owned' | 'accessible';
}

export type { ArchiveDownload, ArchiveUrl };

export class RestClient {
  constructor(private readonly transport: Transport) {}

  private async call<S extends z.ZodType>(
    operation: string,
    spec: Omit<RequestSpec, 'method'> & { method?: RequestSpec['method'] },
    schema: S,
    opts: CallOptions | undefined,
  ): Promise<z.infer<S>> {
    try {
      const { data } = await this.transport.request({ method: 'GET', ...spec, schema }, contextOf(opts));
      return data;
    } catch (err) {
      throw asNotSupported(operation, err);
    }
  }

  async listTrainingRuns(page: PageOptions = {}, opts?: CallOptions): Promise<TrainingRunsResponse> {
    const res = await this.call(
      'Listing training runs',
      { path: 'api/v1/training_runs', query: { limit: page.limit ?? 20, offset: page.offset ?? 0, access_scope: page.access_scope } },
      TrainingRunsResponseSchema,
      opts,
    );
    return { ...res, training_runs: res.training_runs.map(normalizeRun) };
  }

  /** Every run, page by page, until the cursor's total is reached or a page comes back short. */
  async *iterateTrainingRuns(page: Omit<PageOptions, 'offset'> = {}, opts?: CallOptions): AsyncGenerator<TrainingRun> {
    const limit = page.limit ?? 100;
    let offset = 0;
    for (;;) {
      const res = await this.listTrainingRuns({ ...page, limit, offset }, opts);
      yield* res.training_runs;
      offset += res.training_runs.length;
      const total = res.cursor?.total_count;
      if (res.training_runs.length === 0 || res.training_runs.length < limit) return;
      if (total !== undefined && offset >= total) return;
    }
  }

  async getTrainingRun(runId: string, opts?: CallOptions): Promise<TrainingRun> {
    return normalizeRun(await this.call('Getting a training run', { path: `api/v1/training_runs/${enc(runId)}` }, TrainingRunSchema, opts));
  }

  /**
   * A run's checkpoints, newest first, each with `path` in this client's scheme; MinT answers 404
   * for a run that has none, which is [] here.
   */
  async listCheckpoints(runId: string, opts?: CallOptions): Promise<(Checkpoint & { path: string })[]> {
    try {
      const res = await this.call(
        'Listing checkpoints',
        { path: `api/v1/training_runs/${enc(runId)}/checkpoints` },
        CheckpointsResponseSchema,
        opts,
      );
      return normalizeCheckpoints(res.checkpoints);
    } catch (err) {
      if (!(err instanceof NotFoundError) || err instanceof NotSupportedError) throw err;
      await this.getTrainingRun(runId, opts);
      return [];
    }
  }

  async listSessions(page: Omit<PageOptions, 'access_scope'> = {}, opts?: CallOptions): Promise<SessionsResponse> {
    return this.call(
      'Listing sessions',
      { path: 'api/v1/sessions', query: { limit: page.limit ?? 20, offset: page.offset ?? 0 } },
      SessionsResponseSchema,
      opts,
    );
  }

  async getSession(sessionId: string, opts?: CallOptions): Promise<Session> {
    return this.call('Getting a session', { path: `api/v1/sessions/${enc(sessionId)}` }, SessionSchema, opts);
  }

  async getSampler(samplerId: string, opts?: CallOptions): Promise<Sampler> {
    return this.call('Getting a sampler', { path: `api/v1/samplers/${enc(samplerId)}` }, SamplerSchema, opts);
  }

  async deleteCheckpoint(path: string, opts?: CallOptions): Promise<void> {
    const p = parseCheckpointPath(path);
    await this.call(
      'Deleting a checkpoint',
      { method: 'DELETE', path: `api/v1/training_runs/${enc(p.training_run_id)}/checkpoints/${p.kind}/${enc(p.name)}` },
      z.unknown(),
      opts,
    );
  }

  private archiveSpec(path: string): { path: string } {
    const p = parseCheckpointPath(path);
    return { path: `api/v1/training_runs/${enc(p.training_run_id)}/checkpoints/${p.kind}/${enc(p.name)}/archive` };
  }

  /**
   * A signed download URL: the Location of a 302 (not followed), or a 200 `{url, expires}`.
   * MinT sends the archive itself to non-SDK clients instead; that is an error here that names
   * downloadCheckpointArchive, which handles every form.
   */
  async getCheckpointArchiveUrl(path: string, opts?: CallOptions): Promise<ArchiveUrl> {
    const spec = this.archiveSpec(path);
    let opened;
    try {
      opened = await openArchive(this.transport, spec, contextOf(opts));
    } catch (err) {
      throw asNotSupported('Downloading a checkpoint archive', err);
    }
    if ('stream' in opened) {
      // Not read: the whole archive would follow. Closing the body may report an abort; nobody needs it.
      opened.stream.on('error', () => undefined).destroy();
      throw new TinkerError(
        'This server sends checkpoint archives directly, not as a link: use downloadCheckpointArchive(path, file) instead.',
      );
    }
    return opened;
  }

  /** Downloads a checkpoint's archive to `file`, whether the server streams it (MinT) or gives a signed link. */
  async downloadCheckpointArchive(path: string, file: string, opts?: CallOptions): Promise<ArchiveDownload> {
    try {
      return await downloadArchive(this.transport, this.archiveSpec(path), file, contextOf(opts));
    } catch (err) {
      throw asNotSupported('Downloading a checkpoint archive', err);
    }
  }

  async getWeightsInfo(path: string, opts?: CallOptions): Promise<WeightsInfoResponse> {
    parseCheckpointPath(path);
    return this.call(
      'Getting checkpoint info (weights_info)',
      { method: 'POST', path: 'api/v1/weights_info', body: { tinker_path: path } },
      WeightsInfoResponseSchema,
      opts,
    );
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
