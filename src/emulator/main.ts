import { startEmulator, type EmulatorOptions } from './index';
import { listeningLine } from './banner';
import { registerEmulator, unregisterEmulator } from './registry';

const USAGE = `Usage: node dist/emulator.js [options]
  --host HOST             interface to bind (default 127.0.0.1)
  --port PORT             port, 0 for any free one (default 0)
  --api-key KEY           require this X-API-Key (or set MINT_EMULATOR_API_KEY)
  --read-only-key KEY     also accept KEY, but answer its write requests 403
  --oai-auth              require the key on /oai/api/v1 too (MinT's server does not)
  --data-dir DIR          keep runs and checkpoints in DIR across restarts
  --register              record URL and pid in the per-user registry so the extension and
                          other windows use this emulator instead of starting their own
  --faults                enable the /_emulator/ control interface (tests)
  --long-poll-ms MS       how long retrieve_future waits for a result (default 20000)
  --latency-ms MS         work time of each future (default 0)
  --prefix PATH           serve the API under a path prefix, e.g. /train
  --backpressure-limit N  in-flight samples before 429 backpressure (default 64)
  --mask-errors           failed futures say only "Operation failed..." as production MinT does
  --save-weights-as-sampler  /save_weights writes a sampler checkpoint (MinT 2026-06 snapshot)
  --legacy-queue-headers  pending replies also send X-Queue-Position/-Depth/-ETA-S
  --verbose               log one line per request to stderr
  --quiet                 print only the listening line`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { options: EmulatorOptions; verbose: boolean; quiet: boolean; register: boolean } {
  const options: EmulatorOptions = { port: 0 };
  let verbose = false;
  let quiet = false;
  let register = false;
  const apiKeyFromEnv = process.env['MINT_EMULATOR_API_KEY'];
  if (apiKeyFromEnv) options.apiKey = apiKeyFromEnv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a non-negative number, got '${v}'`);
      return n;
    };
    switch (flag) {
      case '--host':
        options.host = value();
        break;
      case '--port':
        options.port = number();
        break;
      case '--api-key':
        options.apiKey = value();
        break;
      case '--read-only-key':
        options.readOnlyKey = value();
        break;
      case '--oai-auth':
        options.oaiRequiresKey = true;
        break;
      case '--data-dir':
        options.dataDir = value();
        break;
      case '--faults':
        options.faults = true;
        break;
      case '--long-poll-ms':
        options.longPollMs = number();
        break;
      case '--latency-ms':
        options.latencyMs = number();
        break;
      case '--prefix':
        options.prefix = value();
        break;
      case '--backpressure-limit':
        options.samplingBackpressureLimit = Math.max(1, Math.trunc(number()));
        break;
      case '--mask-errors':
        options.maskErrors = true;
        break;
      case '--save-weights-as-sampler':
        options.saveWeightsAsSampler = true;
        break;
      case '--legacy-queue-headers':
        options.legacyQueueHeaders = true;
        break;
      case '--register':
        register = true;
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return process.exit(0);
      default:
        throw new UsageError(`unknown option '${arg}'`);
    }
  }
  return { options, verbose, quiet, register };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`emulator: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const { options, verbose, quiet, register } = parsed;
  // Per-request lines are opt-in: a parent that reads only the first stdout line must never
  // block this process on a full pipe.
  options.logRequests = verbose && !quiet;
  options.log = (line) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const emu = await startEmulator(options);
  // Registered before the listening line, so whoever reads that line also finds the entry.
  if (register) {
    const entry = { url: new URL(emu.url).origin, pid: process.pid, startedAt: new Date().toISOString() };
    registerEmulator(options.dataDir ? { ...entry, dataDir: options.dataDir } : entry);
    // However this process ends, a stale entry must not outlive it (readers also check the pid).
    process.once('exit', () => unregisterEmulator(process.pid));
  }
  process.stdout.write(`${listeningLine(new URL(emu.url).origin)}\n`);
  const loopback = /^(127\.|localhost$|::1$|\[::1\]$)/.test(options.host ?? '127.0.0.1');
  if (!quiet && !loopback && !options.apiKey) {
    process.stderr.write(
      `warning: listening on ${options.host} without --api-key: anyone who can reach this address can use the emulator.\n`,
    );
  }
  if (!quiet && options.prefix) process.stdout.write(`API served under ${emu.url}\n`);
  const stop = () => {
    void emu.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
