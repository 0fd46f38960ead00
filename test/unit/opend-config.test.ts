import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openDConfigFileName,
  readSettingsFromEnv,
  renderOpenDConfig,
  SettingsError,
  type OpenDConfigInput,
} from '../../gateway-container/opend-config.js';

const MD5 = '0123456789abcdef0123456789abcdef';
const TRADE_MD5 = 'fedcba9876543210fedcba9876543210';
const PKCS1 = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const PKCS8 = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
const EC = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;

const baseInput: OpenDConfigInput = { loginAccount: '12345678', loginPasswordMd5: MD5, rsaPrivateKeyPath: '/run/opend/opend-rsa.pem' };

/** An in-memory file system standing in for readFileSync: records which paths were read. */
function files(contents: Record<string, string>) {
  const read: string[] = [];
  const readFile = (path: string): string => {
    read.push(path);
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  return { read, readFile };
}

const secretFiles = {
  '/run/opend/login.json': JSON.stringify({ account: 'trader@example.com', passwordMd5: MD5 }),
  '/run/opend/opend-rsa.pem': PKCS1,
  '/run/opend/trade-password.md5': `${TRADE_MD5}\n`,
};
const fileEnv = {
  OPEND_LOGIN_SECRET_FILE: '/run/opend/login.json',
  OPEND_RSA_KEY_FILE: '/run/opend/opend-rsa.pem',
  OPEND_TRADE_PASSWORD_MD5_FILE: '/run/opend/trade-password.md5',
};

function settingsError(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return err as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

describe('renderOpenDConfig', () => {
  it('renders a <futu_opend> document with the API on 0.0.0.0:11111 and telnet on 127.0.0.1:22222', () => {
    const xml = renderOpenDConfig(baseInput);
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
    expect(xml).toMatch(/<futu_opend>[\s\S]*<\/futu_opend>\n$/);
    expect(tag(xml, 'ip')).toBe('0.0.0.0');
    expect(tag(xml, 'api_port')).toBe('11111');
    expect(tag(xml, 'telnet_ip')).toBe('127.0.0.1');
    expect(tag(xml, 'telnet_port')).toBe('22222');
  });

  it('uses protobuf pushes, English, the MD5 password and the RSA key path', () => {
    const xml = renderOpenDConfig(baseInput);
    expect(tag(xml, 'push_proto_type')).toBe('0');
    expect(tag(xml, 'lang')).toBe('en');
    expect(tag(xml, 'log_level')).toBe('info');
    expect(tag(xml, 'login_account')).toBe('12345678');
    expect(tag(xml, 'login_pwd_md5')).toBe(MD5);
    expect(tag(xml, 'rsa_private_key')).toBe('/run/opend/opend-rsa.pem');
    expect(tag(xml, 'price_reminder_push')).toBe('1');
    expect(tag(xml, 'auto_hold_quote_right')).toBe('1');
  });

  it('never writes a plaintext password key or any websocket key', () => {
    const xml = renderOpenDConfig(baseInput);
    expect(xml).not.toContain('<login_pwd>');
    expect(xml).not.toMatch(/websocket/i);
  });

  it('lowercases the MD5 (OpenD expects lowercase hex)', () => {
    expect(tag(renderOpenDConfig({ ...baseInput, loginPasswordMd5: MD5.toUpperCase() }), 'login_pwd_md5')).toBe(MD5);
  });

  it('escapes XML special characters in values', () => {
    const xml = renderOpenDConfig({ ...baseInput, loginAccount: `a&b<c>"d'e` });
    expect(xml).toContain('<login_account>a&amp;b&lt;c&gt;&quot;d&apos;e</login_account>');
    expect(xml).not.toContain('a&b');
  });

  it('refuses control characters that XML cannot carry', () => {
    settingsError(() => renderOpenDConfig({ ...baseInput, loginAccount: 'abc\u0001' }));
  });

  it('adds the futures time zone and push throttle only when given', () => {
    expect(renderOpenDConfig(baseInput)).not.toContain('future_trade_api_time_zone');
    expect(renderOpenDConfig(baseInput)).not.toContain('qot_push_frequency');
    const xml = renderOpenDConfig({ ...baseInput, futureTradeApiTimeZone: 'UTC+8', qotPushFrequencyMs: 500 });
    expect(tag(xml, 'future_trade_api_time_zone')).toBe('UTC+8');
    expect(tag(xml, 'qot_push_frequency')).toBe('500');
  });

  it('renders the optional switches and levels as given', () => {
    const xml = renderOpenDConfig({ ...baseInput, logLevel: 'warning', lang: 'chs', priceReminderPush: false, autoHoldQuoteRight: false, apiPort: 21111, telnetPort: 32222 });
    expect(tag(xml, 'log_level')).toBe('warning');
    expect(tag(xml, 'lang')).toBe('chs');
    expect(tag(xml, 'price_reminder_push')).toBe('0');
    expect(tag(xml, 'auto_hold_quote_right')).toBe('0');
    expect(tag(xml, 'api_port')).toBe('21111');
    expect(tag(xml, 'telnet_port')).toBe('32222');
  });

  it('rejects a malformed MD5, a relative key path and a bad time zone', () => {
    expect(settingsError(() => renderOpenDConfig({ ...baseInput, loginPasswordMd5: 'secret' })).message).toMatch(/32 hex/);
    expect(settingsError(() => renderOpenDConfig({ ...baseInput, rsaPrivateKeyPath: 'key.pem' })).message).toMatch(/absolute/);
    settingsError(() => renderOpenDConfig({ ...baseInput, futureTradeApiTimeZone: 'Asia/Hong_Kong' }));
  });
});

describe('openDConfigFileName', () => {
  it('is FutuOpenD.xml for Futu and OpenD.xml for moomoo', () => {
    expect(openDConfigFileName('futu')).toBe('FutuOpenD.xml');
    expect(openDConfigFileName('moomoo')).toBe('OpenD.xml');
  });
});

describe('readSettingsFromEnv', () => {
  it('reads the login, key and trade password only from the files the *_FILE variables name', () => {
    const fs = files(secretFiles);
    const s = readSettingsFromEnv({ ...fileEnv }, fs.readFile);
    expect(fs.read.sort()).toEqual(Object.values(fileEnv).sort());
    expect(s.mode).toBe('opend');
    expect(s.opend?.loginAccount).toBe('trader@example.com');
    expect(s.opend?.loginPasswordMd5).toBe(MD5);
    expect(s.opend?.rsaPrivateKeyPath).toBe('/run/opend/opend-rsa.pem');
    expect(s.rsaKeyFile).toBe('/run/opend/opend-rsa.pem');
    expect(s.tradePasswordMd5File).toBe('/run/opend/trade-password.md5');
    expect(s.secretValues).toContain(MD5);
    expect(s.secretValues).toContain(TRADE_MD5);
  });

  it('takes non-secret settings from the environment', () => {
    const s = readSettingsFromEnv(
      { ...fileEnv, OPEND_API_PORT: '21111', OPEND_LOG_LEVEL: 'debug', OPEND_BRAND: 'moomoo', OPEND_TELNET_PORT: '32222', OPEND_FUTURE_TRADE_API_TIME_ZONE: 'UTC-5', OPEND_AUTO_HOLD_QUOTE_RIGHT: '0' },
      files(secretFiles).readFile,
    );
    expect(s.brand).toBe('moomoo');
    expect(s.apiPort).toBe(21111);
    expect(s.connectHost).toBe('127.0.0.1');
    expect(s.opendBin).toBe('/opt/opend/OpenD');
    expect(s.opend).toMatchObject({ apiIp: '0.0.0.0', apiPort: 21111, telnetPort: 32222, logLevel: 'debug', futureTradeApiTimeZone: 'UTC-5', autoHoldQuoteRight: false });
  });

  it('defaults to the Futu binary and honours OPENDBIN', () => {
    expect(readSettingsFromEnv({ ...fileEnv }, files(secretFiles).readFile).opendBin).toBe('/opt/opend/FutuOpenD');
    expect(readSettingsFromEnv({ ...fileEnv, OPENDBIN: '/x/FutuOpenD' }, files(secretFiles).readFile).opendBin).toBe('/x/FutuOpenD');
  });

  it('refuses a plaintext password variable and says to provide the MD5 through a secret', () => {
    const err = settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_LOGIN_PASSWORD: 'hunter2hunter2' }, files(secretFiles).readFile));
    expect(err.variable).toBe('OPEND_LOGIN_PASSWORD');
    expect(err.message).toMatch(/plaintext password is refused/);
    expect(err.message).toMatch(/MD5/);
    expect(err.message).toMatch(/Secrets Manager/);
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses a secret value still sitting in the environment (it must be staged into a file)', () => {
    const err = settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_RSA_PRIVATE_KEY: PKCS1 }, files(secretFiles).readFile));
    expect(err.variable).toBe('OPEND_RSA_PRIVATE_KEY');
    expect(err.message).not.toContain('BEGIN');
  });

  it('does not read a login from plain environment variables', () => {
    const fs = files(secretFiles);
    const err = settingsError(() => readSettingsFromEnv({ OPEND_RSA_KEY_FILE: fileEnv.OPEND_RSA_KEY_FILE, OPEND_LOGIN_ACCOUNT: 'x', OPEND_LOGIN_PASSWORD_MD5: MD5 }, fs.readFile));
    expect(err.variable).toBe('OPEND_LOGIN_SECRET_FILE');
  });

  it('refuses a login secret that carries a plaintext password field', () => {
    const fs = files({ ...secretFiles, '/run/opend/login.json': JSON.stringify({ account: 'a', password: 'hunter2hunter2', passwordMd5: MD5 }) });
    const err = settingsError(() => readSettingsFromEnv({ ...fileEnv }, fs.readFile));
    expect(err.message).toMatch(/plaintext "password"/);
    expect(err.message).not.toContain('hunter2');
  });

  it('rejects a login MD5 that is not 32 hex characters', () => {
    for (const bad of ['abc', MD5.slice(1), `${MD5.slice(1)}g`, '']) {
      const fs = files({ ...secretFiles, '/run/opend/login.json': JSON.stringify({ account: 'a', passwordMd5: bad }) });
      expect(settingsError(() => readSettingsFromEnv({ ...fileEnv }, fs.readFile)).message).toMatch(/32 hex characters/);
    }
  });

  it('rejects a trade password MD5 file that is not an MD5', () => {
    const fs = files({ ...secretFiles, '/run/opend/trade-password.md5': 'not-an-md5' });
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv }, fs.readFile)).variable).toBe('OPEND_TRADE_PASSWORD_MD5_FILE');
  });

  it('rejects a login secret that is not JSON without quoting it', () => {
    const fs = files({ ...secretFiles, '/run/opend/login.json': `account=me password=${MD5}` });
    const err = settingsError(() => readSettingsFromEnv({ ...fileEnv }, fs.readFile));
    expect(err.message).toMatch(/not JSON/);
    expect(err.message).not.toContain(MD5);
  });

  it('reports a missing key file by variable and path', () => {
    const { ['/run/opend/opend-rsa.pem']: _key, ...rest } = secretFiles;
    const err = settingsError(() => readSettingsFromEnv({ ...fileEnv }, files(rest).readFile));
    expect(err.variable).toBe('OPEND_RSA_KEY_FILE');
    expect(err.message).toBe('OPEND_RSA_KEY_FILE=/run/opend/opend-rsa.pem: file not found');
  });

  it('requires an RSA key in opend mode', () => {
    const { OPEND_RSA_KEY_FILE: _k, ...env } = fileEnv;
    expect(settingsError(() => readSettingsFromEnv(env, files(secretFiles).readFile)).message).toMatch(/refuses trading without an RSA key/);
  });

  it('rejects a key file that is not a PEM RSA private key, with a hint for PKCS#8', () => {
    const pkcs8 = settingsError(() => readSettingsFromEnv({ ...fileEnv }, files({ ...secretFiles, '/run/opend/opend-rsa.pem': PKCS8 }).readFile));
    expect(pkcs8.message).toMatch(/PKCS#8.*-traditional/);
    const ec = settingsError(() => readSettingsFromEnv({ ...fileEnv }, files({ ...secretFiles, '/run/opend/opend-rsa.pem': EC }).readFile));
    expect(ec.message).toMatch(/not a PEM PKCS#1 RSA private key/);
    const garbled = PKCS1.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!');
    settingsError(() => readSettingsFromEnv({ ...fileEnv }, files({ ...secretFiles, '/run/opend/opend-rsa.pem': garbled }).readFile));
  });

  it('adds the key body lines to the values scrubbed from logs', () => {
    const s = readSettingsFromEnv({ ...fileEnv }, files(secretFiles).readFile);
    const bodyLine = PKCS1.split('\n')[1]!;
    expect(s.secretValues).toContain(bodyLine);
  });

  it('runs the simulator without a login, with the key optional', () => {
    const fs = files({});
    const s = readSettingsFromEnv({ OPEND_MODE: 'simulator', OPEND_API_IP: '127.0.0.1', OPEND_API_PORT: '31111' }, fs.readFile);
    expect(s).toMatchObject({ mode: 'simulator', apiIp: '127.0.0.1', apiPort: 31111, connectHost: '127.0.0.1' });
    expect(s.opend).toBeUndefined();
    expect(fs.read).toEqual([]);
  });

  it('defaults to the simulator in a simulator-only image and refuses opend mode there', () => {
    expect(readSettingsFromEnv({ OPEND_SIMULATOR_ONLY: '1' }, files({}).readFile).mode).toBe('simulator');
    expect(settingsError(() => readSettingsFromEnv({ OPEND_SIMULATOR_ONLY: '1', OPEND_MODE: 'opend', ...fileEnv }, files(secretFiles).readFile)).message).toMatch(/OPEND_SIMULATOR_ONLY=1/);
  });

  it('rejects unknown brands, modes, levels and ports', () => {
    const r = files(secretFiles).readFile;
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_BRAND: 'robinhood' }, r)).variable).toBe('OPEND_BRAND');
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_MODE: 'paper' }, r)).variable).toBe('OPEND_MODE');
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_LOG_LEVEL: 'verbose' }, r)).variable).toBe('OPEND_LOG_LEVEL');
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_API_PORT: '70000' }, r)).variable).toBe('OPEND_API_PORT');
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_API_IP: 'opend.local' }, r)).variable).toBe('OPEND_API_IP');
    expect(settingsError(() => readSettingsFromEnv({ ...fileEnv, OPEND_TELNET_PORT: '11111' }, r)).variable).toBe('OPEND_TELNET_PORT');
  });
});
