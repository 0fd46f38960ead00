// The gateway container's entry point: stages secrets, renders OpenD's config, runs OpenD (or the
// simulator) and the relay under the supervisor (supervisor.ts: restarts a crashed child with bounded exponential
// backoff), and on SIGTERM/SIGINT/SIGHUP stops every child (SIGKILL after a grace period) and exits 0.
//
// Secrets. ECS injects Secrets Manager values as env vars: OPEND_LOGIN_SECRET (JSON {"account","passwordMd5"}),
// OPEND_RSA_PRIVATE_KEY (PEM, PKCS#1 or PKCS#8: staged as PKCS#1, the only form OpenD reads) and
// OPEND_TRADE_PASSWORD_MD5. At start each one is written to a 0600 file (secret-staging.ts)
// in OPEND_RUNTIME_DIR (0700; Fargate has no tmpfs, so this is the task's ephemeral storage, never the EFS state
// volume), deleted from this process's environment, and replaced by OPEND_LOGIN_SECRET_FILE /
// OPEND_RSA_KEY_FILE / OPEND_TRADE_PASSWORD_MD5_FILE in the children's environment. Secrets reach OpenD only
// through its config file, and the relay/simulator only through those files: never argv (visible in `ps`),
// never a log line. Every line a child prints passes through here and known secret values are replaced by
// "[redacted]". The staged files and the rendered config are removed when the gateway stops.
//
// Configuration (environment):
//   OPEND_MODE            opend (default) | simulator (default when the image is OPEND_SIMULATOR_ONLY=1)
//   OPEND_BRAND           futu (default) | moomoo: config file FutuOpenD.xml vs OpenD.xml, binary name
//   OPENDBIN              OpenD binary (default /opt/opend/FutuOpenD, or /opt/opend/OpenD for moomoo)
//   OPEND_API_IP/_PORT    API listener, default 0.0.0.0:11111 (OpenD and the simulator)
//   OPEND_TELNET_PORT, OPEND_LOG_LEVEL, OPEND_LANG, OPEND_PRICE_REMINDER_PUSH, OPEND_AUTO_HOLD_QUOTE_RIGHT,
//   OPEND_FUTURE_TRADE_API_TIME_ZONE, OPEND_QOT_PUSH_FREQUENCY_MS   OpenD config (see opend-config.ts)
//   OPEND_RUNTIME_DIR     where staged secrets and the config go (default /run/opend)
//   OPEND_RSA_KEY_SECRET_ARN  simulator mode: where to store the key generated while the key secret holds the
//                         placeholder (rsa-key.ts)
//   OPEND_STATE_DIR       OpenD's state folder (the EFS mount); passed on to the relay and the simulator, which
//                         look for / write the picture challenge under F3CNN/ there
//   SIMULATOR_CMD, RELAY_CMD   JSON arrays of strings overriding the child commands
//   RESTART_BACKOFF_INITIAL_MS (1000), RESTART_BACKOFF_MAX_MS (60000), RESTART_RESET_AFTER_MS (60000),
//   SHUTDOWN_GRACE_MS (20000, keep under the ECS stopTimeout)
//   LOG_LEVEL             this process's own log threshold (debug | info | warn | error)
// Children also get OPEND_HOST/OPEND_PORT (where the relay connects) and the resolved OPEND_API_IP/_PORT; the
// simulator gets SIM_HOST/SIM_PORT (the API listener) and SIM_TRADE_PASSWORD_MD5_FILE (unless set).
// Exit codes: 0 after a signal-initiated stop, 78 for a configuration error, 1 for an internal failure.
import { accessSync, constants as fsConstants, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../proto/log.js';
import { openDConfigFileName, readSettingsFromEnv, renderOpenDConfig, SettingsError, type GatewaySettings } from './opend-config.js';
import { prepareGatewayRsaKey } from './rsa-key.js';
import { ensurePrivateDir, stageSecretsFromEnv, writePrivateFile } from './secret-staging.js';
import { createScrubber, killLiveChildGroups, Supervisor, type ChildSpec } from './supervisor.js';

export { SECRET_PLACEHOLDER, stageSecretsFromEnv, type StagedSecrets } from './secret-staging.js';
export { createScrubber, Supervisor, type ChildSpec, type SupervisorOptions } from './supervisor.js';

type Env = Record<string, string | undefined>;

export const EXIT_CONFIG = 78;
const DEFAULT_RUNTIME_DIR = '/run/opend';

// ---------------------------------------------------------------------------------------------------------
// Wiring

export function commandFromEnv(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SettingsError(`${name} must be a JSON array of strings, e.g. ["node","dist/relay.mjs"]`, name);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((p) => typeof p === 'string' && p !== '')) {
    throw new SettingsError(`${name} must be a non-empty JSON array of non-empty strings`, name);
  }
  return parsed as string[];
}

function msVar(env: Env, name: string, fallback: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d+$/.test(v)) throw new SettingsError(`${name} must be a whole number of milliseconds, got "${v}"`, name);
  return Number(v);
}

/** Default commands: the esbuild bundles beside dist/entrypoint.mjs, or the TypeScript mains through tsx. */
function defaultCommand(program: 'relay' | 'simulator'): string[] {
  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  if (self.endsWith('.mjs')) return [process.execPath, '--enable-source-maps', join(here, `${program}.mjs`)];
  return [process.execPath, '--import', 'tsx', join(here, program, 'main.ts')];
}

/** Only what OpenD needs: it gets its secrets from the config file, nothing else. */
function openDEnv(env: Env, binDir: string): Env {
  const out: Env = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ']) if (env[k] !== undefined) out[k] = env[k];
  out['LD_LIBRARY_PATH'] = env['LD_LIBRARY_PATH'] ? `${binDir}:${env['LD_LIBRARY_PATH']}` : binDir;
  return out;
}

function nodeChildEnv(env: Env, settings: GatewaySettings): Env {
  const out: Env = { ...env };
  // The relay and the simulator never need the login password.
  delete out['OPEND_LOGIN_SECRET_FILE'];
  out['OPEND_MODE'] = settings.mode;
  out['OPEND_API_IP'] = settings.apiIp;
  out['OPEND_API_PORT'] = String(settings.apiPort);
  out['OPEND_HOST'] = settings.connectHost;
  out['OPEND_PORT'] = String(settings.apiPort);
  return out;
}

export function buildChildSpecs(env: Env, settings: GatewaySettings, runtimeDir: string): { specs: ChildSpec[]; files: string[] } {
  const specs: ChildSpec[] = [];
  const files: string[] = [];
  if (settings.mode === 'opend') {
    try {
      accessSync(settings.opendBin, fsConstants.X_OK);
    } catch {
      throw new SettingsError(
        `OPENDBIN=${settings.opendBin} is missing or not executable. Images built with OPEND_SIMULATOR_ONLY=1 contain no OpenD: use OPEND_MODE=simulator, or rebuild with OPEND_SHA256.`,
        'OPENDBIN',
      );
    }
    ensurePrivateDir(runtimeDir);
    const cfgPath = join(runtimeDir, openDConfigFileName(settings.brand));
    writePrivateFile(cfgPath, renderOpenDConfig(settings.opend!));
    files.push(cfgPath);
    const binDir = dirname(settings.opendBin);
    // -no_monitor=1: this supervisor is the watchdog; OpenD's own would restart behind our back.
    specs.push({ name: 'opend', command: [settings.opendBin, `-cfg_file=${cfgPath}`, '-console=0', '-no_monitor=1'], env: openDEnv(env, binDir), cwd: binDir });
  } else {
    // The simulator's own variables (simulator/main.ts): same listener and key as OpenD would have, and the
    // relay's trade password as the one that unlocks it.
    const simEnv = nodeChildEnv(env, settings);
    simEnv['SIM_HOST'] = settings.apiIp;
    simEnv['SIM_PORT'] = String(settings.apiPort);
    // Without a key the simulator must not invent one: the relay and the Lambdas would not have it.
    if (!simEnv['OPEND_RSA_KEY_FILE']) simEnv['SIM_NO_ENCRYPTION'] = '1';
    if (settings.tradePasswordMd5File && !simEnv['SIM_TRADE_PASSWORD_MD5_FILE']) simEnv['SIM_TRADE_PASSWORD_MD5_FILE'] = settings.tradePasswordMd5File;
    specs.push({ name: 'simulator', command: commandFromEnv(env, 'SIMULATOR_CMD', defaultCommand('simulator')), env: simEnv });
  }
  specs.push({ name: 'relay', command: commandFromEnv(env, 'RELAY_CMD', defaultCommand('relay')), env: nodeChildEnv(env, settings) });
  return { specs, files };
}

export async function main(): Promise<number> {
  process.umask(0o077);
  const log = createLogger('entrypoint');
  const runtimeDir = process.env['OPEND_RUNTIME_DIR']?.trim() || DEFAULT_RUNTIME_DIR;
  const cleanup: string[] = [];
  const removeFiles = () => {
    for (const f of cleanup.splice(0)) rmSync(f, { force: true });
  };

  let supervisor: Supervisor;
  let unconfigured: string[] = [];
  try {
    const staged = stageSecretsFromEnv(process.env, runtimeDir);
    cleanup.push(...staged.files);
    const stagedCount = staged.files.length;
    await prepareGatewayRsaKey(staged, runtimeDir, { log });
    cleanup.push(...staged.files.slice(stagedCount));
    unconfigured = staged.unconfigured;
    let settings: GatewaySettings;
    try {
      settings = readSettingsFromEnv(staged.env, (p) => readFileSync(p, 'utf8'));
    } catch (err) {
      if (!(err instanceof SettingsError) || unconfigured.length === 0) throw err;
      // A fresh deployment whose secrets are still placeholders: stay up (the health check sees /livez), run
      // only the relay so /readyz and the Gateway State event say "not ready", and say what to fill in.
      log.error(`secrets not filled in yet: ${unconfigured.join(', ')}; OpenD is not started until they are (then force a new deployment)`, { detail: err.message });
      supervisor = new Supervisor([{ name: 'relay', command: commandFromEnv(staged.env, 'RELAY_CMD', defaultCommand('relay')), env: { ...staged.env, OPEND_LOGIN_SECRET_FILE: undefined } }], {
        initialBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_INITIAL_MS', 1_000),
        maxBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_MAX_MS', 60_000),
        resetAfterMs: msVar(staged.env, 'RESTART_RESET_AFTER_MS', 60_000),
        graceMs: msVar(staged.env, 'SHUTDOWN_GRACE_MS', 20_000),
        log,
        scrub: createScrubber([]),
      });
      return await runSupervised(supervisor, log, removeFiles);
    }
    if (unconfigured.length > 0) log.warn(`secrets still holding the placeholder were ignored: ${unconfigured.join(', ')}`);
    const { specs, files } = buildChildSpecs(staged.env, settings, runtimeDir);
    cleanup.push(...files);
    supervisor = new Supervisor(specs, {
      initialBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_INITIAL_MS', 1_000),
      maxBackoffMs: msVar(staged.env, 'RESTART_BACKOFF_MAX_MS', 60_000),
      resetAfterMs: msVar(staged.env, 'RESTART_RESET_AFTER_MS', 60_000),
      graceMs: msVar(staged.env, 'SHUTDOWN_GRACE_MS', 20_000),
      log,
      scrub: createScrubber(settings.secretValues),
    });
    log.info('gateway starting', { mode: settings.mode, brand: settings.brand, apiIp: settings.apiIp, apiPort: settings.apiPort, children: specs.map((s) => s.name) });
  } catch (err) {
    removeFiles();
    if (err instanceof SettingsError) {
      log.error(`configuration error: ${err.message}`, { variable: err.variable });
      return EXIT_CONFIG;
    }
    log.error('gateway failed to start', { error: (err as Error).message });
    return 1;
  }

  return runSupervised(supervisor, log, removeFiles);
}

async function runSupervised(supervisor: Supervisor, log: ReturnType<typeof createLogger>, removeFiles: () => void): Promise<number> {
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => void supervisor.stop(signal).then(resolve);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onSignal);
  });
  supervisor.start();
  await stopped;
  removeFiles();
  log.info('gateway stopped');
  return 0;
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  // Children run in their own process groups, so nothing else would stop them if this process ended abruptly.
  process.on('exit', () => {
    killLiveChildGroups();
  });
  process.on('uncaughtException', (err) => {
    createLogger('entrypoint').error('uncaught exception', { error: err.message });
    process.exit(1);
  });
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      createLogger('entrypoint').error('gateway failed', { error: (err as Error).message });
      process.exit(1);
    },
  );
}
