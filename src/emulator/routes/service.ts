import { randomUUID } from 'node:crypto';
import { CATALOG, MAX_LORA_RANK } from '../catalog';
import { detail, json, parseWith } from '../http';
import type { Router } from '../router';
import { ClientConfigRequest, CreateSessionRequest, SessionHeartbeatRequest } from '../schemas';

/** The flags MinT's server always answers: JSON only, API-key auth, no JWT, no pyqwest. */
const CLIENT_CONFIG = {
  pjwt_auth_enabled: false,
  credential_default_source: 'api_key',
  sample_dispatch_bytes_semaphore_size: 10 * 1024 * 1024,
  inflight_response_bytes_semaphore_size: 50 * 1024 * 1024,
  parallel_fwdbwd_chunks: true,
  billing_exception_max_pause_duration_sec: 3600,
  sample_no_retries: false,
  sample_enable_stuck_detection: true,
  use_pyqwest_transport: false,
  proto_write_fwdbwd: false,
  proto_compress_fwdbwd: false,
  fwd_via_fwdbwd: false,
};

const STARTED_AT = new Date().toISOString();

export function registerService(r: Router): void {
  r.add('GET', '/', () => json({ status: 'ready', healthz: '/api/v1/healthz' }));
  r.add('GET', '/api/v1/healthz', () => json({ status: 'ready' }));

  r.add('POST', '/api/v1/client/config', (ctx) => {
    parseWith(ClientConfigRequest, ctx.body ?? {});
    return json(CLIENT_CONFIG);
  });

  r.add('GET', '/api/v1/get_server_capabilities', () => json({ supported_models: CATALOG.map((m) => ({ ...m })) }));

  // MinT's diagnostics page for operators; the emulator fills the fields it has and nulls the rest.
  r.add('GET', '/api/v1/server_info', (ctx) =>
    json({
      git_sha: null,
      started_at: STARTED_AT,
      process: { pid: process.pid, argv: ['mint-emulator'] },
      logging: { stdout: null, stderr: null },
      config: {
        config_path: null,
        host: null,
        port: null,
        max_model_len: Math.max(...CATALOG.map((m) => m.max_context_length)),
        enable_multi_lora: true,
        max_lora_rank: MAX_LORA_RANK,
        sampling_max_inflight_sample_tasks: ctx.core.config.samplingBackpressureLimit,
        auth_enabled: ctx.core.config.apiKey !== undefined,
        emulator: true,
      },
    }),
  );

  r.add('POST', '/api/v1/create_session', (ctx) => {
    const body = parseWith(CreateSessionRequest, ctx.body ?? {});
    const id = randomUUID();
    const now = new Date();
    ctx.core.world.sessions.set(id, {
      id,
      tags: body.tags,
      userMetadata: body.user_metadata ?? undefined,
      createdAt: now,
      lastHeartbeat: now,
      trainingRunIds: [],
      samplerIds: [],
    });
    return json({ session_id: id, type: 'create_session', info_message: null, warning_message: null, error_message: null });
  });

  // MinT does not check that the session exists; it only records the beat.
  r.add('POST', '/api/v1/session_heartbeat', (ctx) => {
    const body = parseWith(SessionHeartbeatRequest, ctx.body);
    const s = ctx.core.world.sessions.get(body.session_id);
    if (s) s.lastHeartbeat = new Date();
    return json({ type: 'session_heartbeat' });
  });

  // Accepted and dropped, as MinT does.
  r.add('POST', '/api/v1/telemetry', (ctx) => {
    if (ctx.body === undefined || typeof ctx.body !== 'object') throw detail(422, 'Telemetry body must be a JSON object.');
    return json({ status: 'accepted' });
  });
}
