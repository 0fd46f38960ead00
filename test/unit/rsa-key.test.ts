import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RsaKey } from '../../proto/crypto.js';
import { isPkcs1Pem, RsaKeyFormatError, toPkcs1Pem } from '../../proto/rsa-key.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PKCS1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const bodyLines = (pem: string) => pem.split('\n').filter((l) => l && !l.startsWith('-----'));

function errorOf(fn: () => unknown): RsaKeyFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RsaKeyFormatError);
    return err as RsaKeyFormatError;
  }
  throw new Error('expected a RsaKeyFormatError');
}

describe('RSA key normalisation (what OpenD, the entrypoint and the Lambdas accept)', () => {
  it('keeps a PKCS#1 key as it is', () => {
    expect(toPkcs1Pem(PKCS1, 'the key')).toBe(PKCS1);
    expect(isPkcs1Pem(PKCS1)).toBe(true);
  });

  it('converts PKCS#8 — what `openssl genrsa` writes on OpenSSL 3 — into the same key as PKCS#1', () => {
    expect(isPkcs1Pem(PKCS8)).toBe(false);
    const converted = toPkcs1Pem(PKCS8, 'the key');
    expect(converted).toBe(PKCS1);
    expect(converted.startsWith('-----BEGIN RSA PRIVATE KEY-----')).toBe(true);
    // The converted key decrypts what the original's public half encrypted.
    const wire = RsaKey.fromPem(PKCS8).encrypt(Buffer.from('init-connect'));
    expect(RsaKey.fromPem(converted).decrypt(wire).toString()).toBe('init-connect');
  });

  it('accepts surrounding whitespace and CRLF line ends, as pasted into a secret', () => {
    expect(toPkcs1Pem(`\n  ${PKCS8.replace(/\n/g, '\r\n')}  \n`, 'the key')).toBe(PKCS1);
  });

  it('refuses a non-RSA PKCS#8 key, naming its type', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const err = errorOf(() => toPkcs1Pem(ec, 'secret X'));
    expect(err.message).toMatch(/^secret X is a PKCS#8 EC key, not RSA; expected an unencrypted RSA private key in PEM, PKCS#1 .* or PKCS#8/);
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    expect(errorOf(() => toPkcs1Pem(sec1, 'secret X')).message).toMatch(/holds a "EC PRIVATE KEY", not an RSA key/);
  });

  it('refuses a passphrase-protected key and says how to remove the passphrase', () => {
    const encrypted = rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString();
    expect(errorOf(() => toPkcs1Pem(encrypted, 'the key')).message).toMatch(/passphrase-protected.*openssl pkey/);
    const legacy = rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString();
    expect(errorOf(() => toPkcs1Pem(legacy, 'the key')).message).toMatch(/passphrase-protected/);
    expect(isPkcs1Pem(legacy)).toBe(false);
  });

  it('refuses a public key, the placeholder and a damaged key, without echoing key material', () => {
    const pub = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(errorOf(() => toPkcs1Pem(pub, 'the key')).message).toMatch(/holds a PEM "PUBLIC KEY"/);
    expect(errorOf(() => toPkcs1Pem('REPLACE_ME', 'the key')).message).toMatch(/holds no PEM block at all/);
    const lines = PKCS8.split('\n');
    const damaged = [...lines.slice(0, 3), ...lines.slice(5)].join('\n');
    const message = errorOf(() => toPkcs1Pem(damaged, 'the key')).message;
    expect(message).toMatch(/has a "PRIVATE KEY" header but the key does not parse/);
    for (const line of bodyLines(PKCS8)) expect(message.includes(line)).toBe(false);
  });

  it('refuses an RSA key shorter than the 1024 bits OpenD uses', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(errorOf(() => toPkcs1Pem(small, 'the key')).message).toMatch(/512-bit RSA key; OpenD needs at least 1024 bits/);
  });
});
