// Simulator process entry. Settings from environment variables (secrets from files only):
//   SIM_HOST (127.0.0.1), SIM_PORT (11111), OPEND_RSA_KEY_FILE (PEM; encryption on when set),
//   SIM_SEED (1), SIM_SPEED (1 = real time), SIM_SESSIONS (always-open | exchange), SIM_PUSH_BEFORE_REPLY (0/1),
//   SIM_SUB_QUOTA (100), SIM_LOGIN_CHALLENGE ("phone" | "picture"; the code comes from SIM_VERIFY_CODE_FILE),
//   SIM_TRADE_PASSWORD_MD5_FILE (default md5("123456")), LOG_LEVEL.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../proto/log.js';
import { startSimulator } from './index.js';

const log = createLogger('simulator');

function fileOrUndefined(name: string): string | undefined {
  const p = process.env[name];
  if (!p) return undefined;
  try {
    return readFileSync(p, 'utf8').trim();
  } catch (err) {
    log.error(`${name} points to a file that cannot be read`, { path: p, error: (err as Error).message });
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const challenge = env['SIM_LOGIN_CHALLENGE'];
  if (challenge && challenge !== 'phone' && challenge !== 'picture') {
    log.error('SIM_LOGIN_CHALLENGE must be "phone" or "picture"', { got: challenge });
    process.exit(2);
  }
  const code = fileOrUndefined('SIM_VERIFY_CODE_FILE');
  if (challenge && !code) {
    log.error('SIM_LOGIN_CHALLENGE needs SIM_VERIFY_CODE_FILE with the code that completes the login');
    process.exit(2);
  }
  const sim = await startSimulator({
    host: env['SIM_HOST'] ?? '127.0.0.1',
    port: Number(env['SIM_PORT'] ?? 11111),
    rsaPrivateKey: fileOrUndefined('OPEND_RSA_KEY_FILE'),
    seed: Number(env['SIM_SEED'] ?? 1),
    clock: { speed: Number(env['SIM_SPEED'] ?? 1) },
    sessions: env['SIM_SESSIONS'] === 'exchange' ? 'exchange' : 'always-open',
    pushBeforeReply: env['SIM_PUSH_BEFORE_REPLY'] === '1',
    subscriptionQuota: Number(env['SIM_SUB_QUOTA'] ?? 100),
    loginChallenge: challenge ? { type: challenge as 'phone' | 'picture', code: code! } : undefined,
    tradePasswordMd5: fileOrUndefined('SIM_TRADE_PASSWORD_MD5_FILE'),
    logger: log,
  });
  log.info('simulator ready', { host: sim.host, port: sim.port });
  const stop = async (signal: string) => {
    log.info('stopping simulator', { signal });
    await sim.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((err: Error) => {
    log.error('simulator failed to start', { error: err.message });
    process.exit(1);
  });
}
