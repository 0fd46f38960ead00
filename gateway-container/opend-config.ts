// OpenD's XML configuration and the gateway settings it is rendered from.
//
// Secrets never travel as plain environment variables past the entrypoint. ECS injects them from Secrets
// Manager as env values (SECRET_VALUE_VARS); the entrypoint writes each to a 0600 file in its runtime dir,
// replaces the value variable by the matching *_FILE variable and drops the value from every child's
// environment. readSettingsFromEnv therefore reads secrets only from files, and refuses to run when a
// secret value (or a plaintext password) is still sitting in the environment.
import { createPrivateKey } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { isIPv4 } from 'node:net';

export type OpenDBrand = 'futu' | 'moomoo';
export type GatewayMode = 'opend' | 'simulator';
export type OpenDLogLevel = 'no' | 'debug' | 'info' | 'warning' | 'error' | 'fatal';
export type OpenDLang = 'en' | 'chs';

const BRANDS: readonly OpenDBrand[] = ['futu', 'moomoo'];
const MODES: readonly GatewayMode[] = ['opend', 'simulator'];
const LOG_LEVELS: readonly OpenDLogLevel[] = ['no', 'debug', 'info', 'warning', 'error', 'fatal'];
const LANGS: readonly OpenDLang[] = ['en', 'chs'];

export const DEFAULT_API_IP = '0.0.0.0';
export const DEFAULT_API_PORT = 11111;
export const DEFAULT_TELNET_PORT = 22222;
/** The telnet console accepts unauthenticated ops commands (verification codes, relogin): loopback only. */
export const TELNET_IP = '127.0.0.1';
/** Where the Dockerfile installs OpenD. */
export const DEFAULT_OPEND_DIR = '/opt/opend';

export interface OpenDConfigInput {
  loginAccount: string;
  /** Lowercase hex MD5 of the login password. The plaintext password is never accepted. */
  loginPasswordMd5: string;
  /** Absolute path of the PKCS#1 PEM private key shared with the API clients (the entrypoint converts PKCS#8). */
  rsaPrivateKeyPath: string;
  apiIp?: string;
  apiPort?: number;
  telnetPort?: number;
  logLevel?: OpenDLogLevel;
  lang?: OpenDLang;
  priceReminderPush?: boolean;
  autoHoldQuoteRight?: boolean;
  /** e.g. "UTC+8"; OpenD requires it for futures trading. Omitted when undefined. */
  futureTradeApiTimeZone?: string;
  /** Throttle for quote pushes in ms (not K-line / time-share). Omitted when undefined: no throttle. */
  qotPushFrequencyMs?: number;
}

/** A setting that is missing or wrong. The message names the variable and says what to do; it never holds a secret. */
export class SettingsError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** OpenD's config file name: the moomoo build calls it OpenD.xml. */
export function openDConfigFileName(brand: OpenDBrand): string {
  return brand === 'moomoo' ? 'OpenD.xml' : 'FutuOpenD.xml';
}

/** The command-line binary's name inside the tarball (the moomoo name is unverified: set OPENDBIN if it differs). */
export function openDBinaryName(brand: OpenDBrand): string {
  return brand === 'moomoo' ? 'OpenD' : 'FutuOpenD';
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

// XML 1.0 forbids these outright; escaping cannot make them legal.
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function xmlEscape(value: string): string {
  if (XML_FORBIDDEN.test(value)) throw new SettingsError('a configuration value contains a control character that XML cannot carry');
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function renderOpenDConfig(input: OpenDConfigInput): string {
  assertMd5(input.loginPasswordMd5, 'loginPasswordMd5');
  if (!input.loginAccount.trim()) throw new SettingsError('loginAccount is empty');
  if (!isAbsolute(input.rsaPrivateKeyPath)) throw new SettingsError(`rsaPrivateKeyPath must be absolute (OpenD resolves it from its own directory), got "${input.rsaPrivateKeyPath}"`);
  const apiIp = input.apiIp ?? DEFAULT_API_IP;
  if (!isIPv4(apiIp)) throw new SettingsError(`apiIp must be an IPv4 address, got "${apiIp}"`);
  const apiPort = assertPort(input.apiPort ?? DEFAULT_API_PORT, 'apiPort');
  const telnetPort = assertPort(input.telnetPort ?? DEFAULT_TELNET_PORT, 'telnetPort');
  if (telnetPort === apiPort) throw new SettingsError(`telnetPort and apiPort are both ${apiPort}`);
  const logLevel = input.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new SettingsError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const lang = input.lang ?? 'en';
  if (!LANGS.includes(lang)) throw new SettingsError(`lang must be one of ${LANGS.join(', ')}`);

  const entries: [string, string][] = [
    ['ip', apiIp],
    ['api_port', String(apiPort)],
    ['login_account', input.loginAccount],
    ['login_pwd_md5', input.loginPasswordMd5.toLowerCase()],
    ['lang', lang],
    ['log_level', logLevel],
    // Protobuf pushes: the only format the relay and the Lambdas decode.
    ['push_proto_type', '0'],
    ['telnet_ip', TELNET_IP],
    ['telnet_port', String(telnetPort)],
    ['rsa_private_key', input.rsaPrivateKeyPath],
    ['price_reminder_push', flag(input.priceReminderPush ?? true)],
    ['auto_hold_quote_right', flag(input.autoHoldQuoteRight ?? true)],
  ];
  if (input.qotPushFrequencyMs !== undefined) {
    if (!Number.isInteger(input.qotPushFrequencyMs) || input.qotPushFrequencyMs < 0) throw new SettingsError('qotPushFrequencyMs must be a non-negative integer');
    entries.push(['qot_push_frequency', String(input.qotPushFrequencyMs)]);
  }
  if (input.futureTradeApiTimeZone !== undefined) entries.push(['future_trade_api_time_zone', assertTimeZone(input.futureTradeApiTimeZone)]);
  // No websocket_* keys: without websocket_port OpenD does not start the FTWebSocket bridge.

  const body = entries.map(([k, v]) => `\t<${k}>${xmlEscape(v)}</${k}>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- Rendered by opend-cloud's gateway entrypoint; edits are overwritten at start. -->\n<futu_opend>\n${body}\n</futu_opend>\n`;
}

function flag(v: boolean): string {
  return v ? '1' : '0';
}

// ---------------------------------------------------------------------------------------------------------
// Settings from the environment

/** Secret values that ECS injects as env vars, and the *_FILE variable each one becomes after staging. */
export const SECRET_VALUE_VARS = [
  { valueVar: 'OPEND_LOGIN_SECRET', fileVar: 'OPEND_LOGIN_SECRET_FILE', fileName: 'login.json' },
  { valueVar: 'OPEND_RSA_PRIVATE_KEY', fileVar: 'OPEND_RSA_KEY_FILE', fileName: 'opend-rsa.pem' },
  { valueVar: 'OPEND_TRADE_PASSWORD_MD5', fileVar: 'OPEND_TRADE_PASSWORD_MD5_FILE', fileName: 'trade-password.md5' },
] as const;

/** Variables that would carry a password in plaintext. Their presence stops the gateway. */
export const PLAINTEXT_PASSWORD_VARS = ['OPEND_LOGIN_PASSWORD', 'OPEND_LOGIN_PWD', 'OPEND_TRADE_PASSWORD', 'FUTU_LOGIN_PWD'] as const;

export interface GatewaySettings {
  mode: GatewayMode;
  brand: OpenDBrand;
  /** Where OpenD (or the simulator) listens for the API. */
  apiIp: string;
  apiPort: number;
  /** Where the relay connects: loopback when the API listens on every interface. */
  connectHost: string;
  /** The OpenD binary (opend mode). */
  opendBin: string;
  rsaKeyFile?: string;
  tradePasswordMd5File?: string;
  /** Present in opend mode only. */
  opend?: OpenDConfigInput;
  /** Secret values the supervisor scrubs from any output it forwards. */
  secretValues: string[];
}

type Env = Record<string, string | undefined>;
export type ReadTextFile = (path: string) => string;

export function readSettingsFromEnv(env: Env, readFile: ReadTextFile): GatewaySettings {
  for (const name of PLAINTEXT_PASSWORD_VARS) {
    if (present(env[name])) {
      throw new SettingsError(
        `${name} is set: a plaintext password is refused. Store the lowercase hex MD5 of the password in Secrets Manager ` +
          `(login: JSON {"account":"...","passwordMd5":"..."} injected as OPEND_LOGIN_SECRET; trade: OPEND_TRADE_PASSWORD_MD5) and unset ${name}.`,
        name,
      );
    }
  }
  for (const { valueVar, fileVar } of SECRET_VALUE_VARS) {
    if (present(env[valueVar])) {
      throw new SettingsError(`${valueVar} holds a secret value in the environment; the entrypoint stages it into a 0600 file and passes ${fileVar} instead. Start through the entrypoint, or set ${fileVar}.`, valueVar);
    }
  }

  const simulatorOnly = env['OPEND_SIMULATOR_ONLY'] === '1';
  const mode = oneOf(env, 'OPEND_MODE', MODES, simulatorOnly ? 'simulator' : 'opend');
  if (mode === 'opend' && simulatorOnly) {
    throw new SettingsError('OPEND_MODE=opend but this image was built with OPEND_SIMULATOR_ONLY=1 (no OpenD inside). Use OPEND_MODE=simulator or rebuild with OPEND_SHA256 set.', 'OPEND_MODE');
  }
  const brand = oneOf(env, 'OPEND_BRAND', BRANDS, 'futu');
  const apiIp = env['OPEND_API_IP']?.trim() || DEFAULT_API_IP;
  if (!isIPv4(apiIp)) throw new SettingsError(`OPEND_API_IP must be an IPv4 address, got "${apiIp}"`, 'OPEND_API_IP');
  const apiPort = intVar(env, 'OPEND_API_PORT', DEFAULT_API_PORT, 1, 65535);
  const connectHost = apiIp === '0.0.0.0' ? '127.0.0.1' : apiIp;
  const opendBin = env['OPENDBIN']?.trim() || `${DEFAULT_OPEND_DIR}/${openDBinaryName(brand)}`;
  const secretValues: string[] = [];

  const rsaKeyFile = fileVar(env, 'OPEND_RSA_KEY_FILE');
  if (rsaKeyFile) {
    const pem = readSecretFile(readFile, rsaKeyFile, 'OPEND_RSA_KEY_FILE');
    assertRsaPem(pem, rsaKeyFile);
    secretValues.push(...pemSecretLines(pem));
  } else if (mode === 'opend') {
    throw new SettingsError(
      'OPEND_RSA_KEY_FILE is not set: OpenD listens on a non-loopback address and refuses trading without an RSA key. ' +
        'Inject the PEM (PKCS#1 or PKCS#8) as the secret OPEND_RSA_PRIVATE_KEY (or mount it and set OPEND_RSA_KEY_FILE).',
      'OPEND_RSA_KEY_FILE',
    );
  }

  const tradePasswordMd5File = fileVar(env, 'OPEND_TRADE_PASSWORD_MD5_FILE');
  if (tradePasswordMd5File) {
    const md5 = readSecretFile(readFile, tradePasswordMd5File, 'OPEND_TRADE_PASSWORD_MD5_FILE').trim();
    assertMd5(md5, 'OPEND_TRADE_PASSWORD_MD5_FILE');
    secretValues.push(md5, md5.toLowerCase(), md5.toUpperCase());
  }

  const settings: GatewaySettings = { mode, brand, apiIp, apiPort, connectHost, opendBin, secretValues };
  if (rsaKeyFile) settings.rsaKeyFile = rsaKeyFile;
  if (tradePasswordMd5File) settings.tradePasswordMd5File = tradePasswordMd5File;

  if (mode === 'opend') {
    const loginFile = fileVar(env, 'OPEND_LOGIN_SECRET_FILE');
    if (!loginFile) {
      throw new SettingsError('OPEND_LOGIN_SECRET_FILE is not set: inject the Secrets Manager secret {"account":"...","passwordMd5":"..."} as OPEND_LOGIN_SECRET.', 'OPEND_LOGIN_SECRET_FILE');
    }
    const login = parseLoginSecret(readSecretFile(readFile, loginFile, 'OPEND_LOGIN_SECRET_FILE'), loginFile);
    secretValues.push(login.passwordMd5, login.passwordMd5.toUpperCase());
    const opend: OpenDConfigInput = {
      loginAccount: login.account,
      loginPasswordMd5: login.passwordMd5,
      rsaPrivateKeyPath: rsaKeyFile!,
      apiIp,
      apiPort,
      telnetPort: intVar(env, 'OPEND_TELNET_PORT', DEFAULT_TELNET_PORT, 1, 65535),
      logLevel: oneOf(env, 'OPEND_LOG_LEVEL', LOG_LEVELS, 'info'),
      lang: oneOf(env, 'OPEND_LANG', LANGS, 'en'),
      priceReminderPush: boolVar(env, 'OPEND_PRICE_REMINDER_PUSH', true),
      autoHoldQuoteRight: boolVar(env, 'OPEND_AUTO_HOLD_QUOTE_RIGHT', true),
    };
    const tz = env['OPEND_FUTURE_TRADE_API_TIME_ZONE']?.trim();
    if (tz) opend.futureTradeApiTimeZone = assertTimeZone(tz, 'OPEND_FUTURE_TRADE_API_TIME_ZONE');
    if (present(env['OPEND_QOT_PUSH_FREQUENCY_MS'])) opend.qotPushFrequencyMs = intVar(env, 'OPEND_QOT_PUSH_FREQUENCY_MS', 0, 0, 3_600_000);
    if (opend.telnetPort === apiPort) throw new SettingsError(`OPEND_TELNET_PORT and OPEND_API_PORT are both ${apiPort}`, 'OPEND_TELNET_PORT');
    settings.opend = opend;
  }
  return settings;
}

function parseLoginSecret(text: string, path: string): { account: string; passwordMd5: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message can quote the input: do not pass it on.
    throw new SettingsError(`OPEND_LOGIN_SECRET_FILE (${path}) is not JSON; expected {"account":"...","passwordMd5":"<32 hex>"}`, 'OPEND_LOGIN_SECRET_FILE');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(`OPEND_LOGIN_SECRET_FILE (${path}) must hold a JSON object {"account":"...","passwordMd5":"<32 hex>"}`, 'OPEND_LOGIN_SECRET_FILE');
  }
  const obj = parsed as Record<string, unknown>;
  for (const key of ['password', 'pwd', 'loginPwd', 'login_pwd']) {
    if (key in obj) {
      throw new SettingsError(`OPEND_LOGIN_SECRET_FILE (${path}) has a plaintext "${key}" field: refused. Store only "passwordMd5" (lowercase hex MD5 of the password).`, 'OPEND_LOGIN_SECRET_FILE');
    }
  }
  const account = typeof obj['account'] === 'string' ? obj['account'].trim() : typeof obj['account'] === 'number' ? String(obj['account']) : '';
  if (!account) throw new SettingsError(`OPEND_LOGIN_SECRET_FILE (${path}) has no "account" (Futu/moomoo ID, phone or email)`, 'OPEND_LOGIN_SECRET_FILE');
  const md5 = typeof obj['passwordMd5'] === 'string' ? obj['passwordMd5'].trim() : '';
  assertMd5(md5, 'OPEND_LOGIN_SECRET_FILE passwordMd5');
  return { account, passwordMd5: md5.toLowerCase() };
}

function readSecretFile(readFile: ReadTextFile, path: string, variable: string): string {
  try {
    return readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied (the gateway runs as user opend)' : code === 'EISDIR' ? 'is a directory' : (code ?? 'unreadable');
    throw new SettingsError(`${variable}=${path}: ${why}`, variable);
  }
}

/**
 * OpenD reads the key as PKCS#1 ("BEGIN RSA PRIVATE KEY"), unencrypted. The entrypoint converts a PKCS#8 key
 * before this runs (secret-staging.ts, rsa-key.ts), so a PKCS#8 key here was not started through it.
 */
export function assertRsaPem(pem: string, path: string): void {
  const pkcs1 = /-----BEGIN RSA PRIVATE KEY-----[\s\S]+-----END RSA PRIVATE KEY-----/.test(pem);
  const pkcs8 = /-----BEGIN PRIVATE KEY-----/.test(pem);
  if (!pkcs1) {
    const hint = pkcs8
      ? 'it is PKCS#8 ("BEGIN PRIVATE KEY"); start through the entrypoint, which converts it, or convert it with `openssl pkey -in key.pem -traditional -out key-pkcs1.pem` (OpenSSL 3)'
      : 'generate one with `openssl genrsa -traditional -out opend.pem 1024`';
    throw new SettingsError(`OPEND_RSA_KEY_FILE=${path} is not a PEM PKCS#1 RSA private key: ${hint}`, 'OPEND_RSA_KEY_FILE');
  }
  if (/Proc-Type:\s*4,ENCRYPTED/.test(pem)) throw new SettingsError(`OPEND_RSA_KEY_FILE=${path} is passphrase-protected; OpenD needs an unencrypted key`, 'OPEND_RSA_KEY_FILE');
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new SettingsError(`OPEND_RSA_KEY_FILE=${path} has an RSA PEM header but the key does not parse`, 'OPEND_RSA_KEY_FILE');
  }
}

/** The base64 lines of a PEM: what must never show up in a log. */
function pemSecretLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----') && !l.includes(':'));
}

function assertMd5(value: string, what: string): void {
  if (!/^[0-9a-fA-F]{32}$/.test(value)) {
    throw new SettingsError(`${what} must be an MD5 digest: 32 hex characters (e.g. \`printf %s "$PASSWORD" | md5sum\`)`, what.split(' ')[0]);
  }
}

function assertPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SettingsError(`${what} must be a TCP port (1-65535), got ${port}`);
  return port;
}

function assertTimeZone(tz: string, variable = 'futureTradeApiTimeZone'): string {
  const m = /^UTC(?:([+-])(\d{1,2}))?$/.exec(tz);
  if (!m || (m[2] !== undefined && Number(m[2]) > (m[1] === '+' ? 12 : 11))) {
    throw new SettingsError(`${variable} must look like UTC, UTC+8 or UTC-5 (UTC-11 .. UTC+12), got "${tz}"`, variable);
  }
  return tz;
}

function present(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

function fileVar(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new SettingsError(`${name} must be one of ${allowed.join(', ')}, got "${v}"`, name);
  return v as T;
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name]?.trim();
  if (!v) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got "${v}"`, name);
  return Number(v);
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name]?.trim().toLowerCase();
  if (!v) return fallback;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new SettingsError(`${name} must be 0 or 1, got "${v}"`, name);
}
