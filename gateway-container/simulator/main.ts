// `npm run sim` — the OpenD simulator as a process. Every option is a flag or an environment variable
// (flags win); secrets (the login code, the trade password MD5) only come from files.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRsaKeyFile } from '../../proto/crypto.js';
import { createLogger } from '../../proto/log.js';
import { readSecretFile } from '../secret-file.js';
import { startSimulator } from './index.js';

interface Option {
  flag: string;
  env: string;
  help: string;
  /** The value used when neither the flag nor the variable is given. */
  dflt?: string;
  /** What happens without the option, for `--help`, when there is no default value to print. */
  none?: string;
  boolean?: boolean;
}

const OPTIONS: Option[] = [
  { flag: 'host', env: 'SIM_HOST', dflt: '127.0.0.1', help: 'listen address (a non-loopback address refuses trading on unencrypted connections, as OpenD)' },
  { flag: 'port', env: 'SIM_PORT', dflt: '11111', help: 'API port' },
  { flag: 'key', env: 'OPEND_RSA_KEY_FILE', dflt: '.local-data/simulator-rsa.pem', help: 'RSA private key (PKCS#1 PEM) shared with clients; generated (mode 0600) when the file does not exist' },
  { flag: 'no-encryption', env: 'SIM_NO_ENCRYPTION', boolean: true, help: 'run without an RSA key (plaintext only)' },
  { flag: 'seed', env: 'SIM_SEED', dflt: '1', help: 'seed of the deterministic price process' },
  { flag: 'speed', env: 'SIM_SPEED', dflt: '1', help: 'virtual time per real time (1 = real time, 60 = a minute per second)' },
  { flag: 'sessions', env: 'SIM_SESSIONS', dflt: 'always-open', help: '"always-open" or "exchange" (real trading hours per market)' },
  { flag: 'universe', env: 'SIM_UNIVERSE', none: 'the shipped universe.json', help: 'securities JSON' },
  { flag: 'push-before-reply', env: 'SIM_PUSH_BEFORE_REPLY', boolean: true, help: 'send trade pushes before the PlaceOrder reply' },
  { flag: 'sub-quota', env: 'SIM_SUB_QUOTA', dflt: '100', help: 'subscription quota' },
  { flag: 'history-quota', env: 'SIM_HISTORY_QUOTA', dflt: '100', help: 'history K-line quota (securities per 30 days)' },
  { flag: 'login-challenge', env: 'SIM_LOGIN_CHALLENGE', none: 'no challenge, READY at start', help: '"phone" or "picture": start waiting for a verification code (needs --verify-code-file)' },
  { flag: 'verify-code-file', env: 'SIM_VERIFY_CODE_FILE', none: 'none', help: 'file holding the code that completes the login challenge' },
  { flag: 'websocket-port', env: 'SIM_WEBSOCKET_PORT', none: 'no WebSocket', help: "also serve OpenD's WebSocket protocol (the official JavaScript SDK) on this port" },
  { flag: 'websocket-key-md5-file', env: 'SIM_WEBSOCKET_KEY_MD5_FILE', none: 'any key', help: 'file holding the MD5 of the WebSocket key clients must present' },
  { flag: 'trade-password-md5-file', env: 'SIM_TRADE_PASSWORD_MD5_FILE', none: 'md5 of 123456', help: 'file holding the MD5 of the trade password REAL accounts unlock with' },
  { flag: 'opend-state-dir', env: 'OPEND_STATE_DIR', none: 'the PNG is not saved', help: "OpenD's state folder: a picture login challenge saves its PNG at F3CNN/PicVerifyCode.png there, as OpenD does" },
  { flag: 'state-file', env: 'SIM_STATE_FILE', none: 'state in memory only', help: 'trading state file: restored at start (missing = first start; corrupt = error), saved atomically on every order change and on exit' },
  { flag: 'allow-plaintext', env: 'SIM_ALLOW_PLAINTEXT', boolean: true, help: 'accept plaintext InitConnect although a key is set' },
  { flag: 'futures-accounts', env: 'SIM_FUTURES_ACCOUNTS', boolean: true, help: 'also create the futures accounts (paper HK, paper US, real), listed for trdCategory FUTURE' },
  { flag: 'max-body-bytes', env: 'SIM_MAX_BODY_BYTES', dflt: '1048576', help: 'largest request body after InitConnect (before it: 4096)' },
  { flag: 'byte-budget', env: 'SIM_BYTE_BUDGET', dflt: '16777216', help: 'bytes one connection may send per 10 s; more closes it' },
];

/**
 * `--help`: three aligned columns (flag, environment variable, description with the default), the description
 * wrapped under itself so no row runs into the next; `width` is the terminal's, 120 when not a terminal.
 */
export function usage(width = process.stdout.columns ?? 120): string {
  const rows: [string, string, string][] = OPTIONS.map((o) => [
    `--${o.flag}${o.boolean ? '' : ' <value>'}`,
    o.env,
    `${o.help} (default: ${o.dflt ?? o.none ?? (o.boolean ? 'off' : 'none')})`,
  ]);
  rows.push(['--help, -h', '', 'print this text and exit']);
  const flagWidth = Math.max(...rows.map((r) => r[0].length));
  const envWidth = Math.max(...rows.map((r) => r[1].length));
  const indent = 2 + flagWidth + 2 + envWidth + 2;
  const lines = ['Usage: npm run sim -- [options]', '', 'The OpenD simulator: a wire-compatible OpenD with a simulated market and paper trading.', ''];
  lines.push(`  ${'Option'.padEnd(flagWidth)}  ${'Environment variable'.padEnd(envWidth)}  Description`);
  for (const [flag, env, help] of rows) {
    const wrapped = wrap(help, Math.max(30, width - indent));
    lines.push(`  ${flag.padEnd(flagWidth)}  ${env.padEnd(envWidth)}  ${wrapped[0]}`);
    for (const more of wrapped.slice(1)) lines.push(' '.repeat(indent) + more);
  }
  lines.push('', 'A flag wins over its variable. Secrets (codes, MD5s) are read from files only.');
  return lines.join('\n');
}

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Record<string, string | boolean | undefined> {
  const out: Record<string, string | boolean | undefined> = {};
  for (const o of OPTIONS) out[o.flag] = o.boolean ? env[o.env] === '1' || env[o.env] === 'true' : (env[o.env] ?? o.dflt);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return { help: true };
    const [name, inline] = a.startsWith('--') ? (a.slice(2).split('=', 2) as [string, string | undefined]) : [a, undefined];
    const o = OPTIONS.find((x) => x.flag === name);
    if (!o) throw new Error(`unknown option ${a}; see --help`);
    if (o.boolean) out[o.flag] = true;
    else {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${o.flag} needs a value`);
      out[o.flag] = v;
    }
  }
  return out;
}

function number(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<void> {
  const log = createLogger('simulator');
  let o: Record<string, string | boolean | undefined>;
  try {
    o = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (o['help']) {
    process.stdout.write(usage() + '\n');
    return;
  }
  let keyPem: string | undefined;
  let keyFile: string | undefined;
  if (!o['no-encryption']) {
    keyFile = resolve(String(o['key']));
    const key = ensureRsaKeyFile(keyFile);
    if (key.created) log.info('generated a new RSA key for the simulator', { keyFile });
    keyPem = key.pem;
  }
  const challenge = o['login-challenge'] as string | undefined;
  if (challenge && challenge !== 'phone' && challenge !== 'picture') throw new Error('--login-challenge must be "phone" or "picture"');
  const code = readSecretFile(o['verify-code-file'] as string | undefined, 'the verification code file');
  if (challenge && !code) throw new Error('--login-challenge needs --verify-code-file with the code that completes the login');
  const sessions = String(o['sessions']);
  if (sessions !== 'always-open' && sessions !== 'exchange') throw new Error('--sessions must be "always-open" or "exchange"');
  const sim = await startSimulator({
    host: String(o['host']),
    port: number(o['port'], 'port'),
    rsaPrivateKey: keyPem,
    seed: number(o['seed'], 'seed'),
    clock: { speed: number(o['speed'], 'speed') },
    sessions,
    universePath: o['universe'] as string | undefined,
    pushBeforeReply: o['push-before-reply'] === true,
    subscriptionQuota: number(o['sub-quota'], 'sub-quota'),
    historyKLQuota: number(o['history-quota'], 'history-quota'),
    loginChallenge: challenge ? { type: challenge as 'phone' | 'picture', code: code! } : undefined,
    tradePasswordMd5: readSecretFile(o['trade-password-md5-file'] as string | undefined, 'the trade password MD5 file'),
    stateFile: o['state-file'] ? resolve(String(o['state-file'])) : undefined,
    opendStateDir: o['opend-state-dir'] ? resolve(String(o['opend-state-dir'])) : undefined,
    allowPlainInitConnect: o['allow-plaintext'] === true,
    futuresAccounts: o['futures-accounts'] === true,
    maxBodyBytes: number(o['max-body-bytes'], 'max-body-bytes'),
    byteBudget: number(o['byte-budget'], 'byte-budget'),
    websocket: o['websocket-port']
      ? { port: number(o['websocket-port'], 'websocket-port'), keyMd5: readSecretFile(o['websocket-key-md5-file'] as string | undefined, 'the WebSocket key MD5 file') }
      : undefined,
    logger: log,
  });
  const say = (s = '') => process.stdout.write(s + '\n');
  say(`OpenD simulator listening on ${sim.host}:${sim.port}`);
  say(keyFile ? `  RSA key: ${keyFile} (clients use the same file; AES-CBC or FTAES-ECB per connection)` : '  no encryption (plaintext)');
  if (keyFile) say(`  plaintext InitConnect: ${o['allow-plaintext'] === true ? 'accepted (--allow-plaintext)' : 'refused (--allow-plaintext accepts it)'}`);
  if (sim.websocketPort) say(`  WebSocket (official JavaScript SDK): ws://${sim.host}:${sim.websocketPort}`);
  say(`  program status: ${challenge ? `waiting for a ${challenge} verification code (Verification 1006)` : 'READY'}`);
  if (sim.state) say(`  trading state: ${resolve(String(o['state-file']))} (restored when present, saved on every order change)`);
  say('  accounts:');
  for (const a of sim.trading.accounts()) say(`    ${a.accID}  ${a.trdEnv === 0 ? 'SIMULATE' : 'REAL'}  markets ${a.trdMarketAuthList?.join(',')}`);
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
    process.stderr.write(`simulator: ${err.message}\n`);
    process.exit(1);
  });
}
