// The RSA private key OpenD and its API clients share, in the one form OpenD reads: PKCS#1 PEM
// ("BEGIN RSA PRIVATE KEY"), unencrypted. `openssl genrsa` writes PKCS#8 ("BEGIN PRIVATE KEY") on OpenSSL 3
// and PKCS#1 on LibreSSL (macOS) and OpenSSL 1.x; `-traditional` forces PKCS#1 on OpenSSL 3 but is unknown to
// LibreSSL. So every reader of the key (the gateway entrypoint, the Lambdas) takes both and converts here.
//
// Invariants: the result is always a PKCS#1 PEM of an RSA key of at least 1024 bits; anything else (an EC or
// Ed25519 key, a passphrase-protected key, a public key, a certificate, text that is not PEM) is refused with a
// message saying what was found and what is accepted. No message ever contains key material.
import { createPrivateKey, type KeyObject } from 'node:crypto';

export class RsaKeyFormatError extends Error {
  override readonly name = 'RsaKeyFormatError';
}

const ACCEPTED =
  'an unencrypted RSA private key in PEM, PKCS#1 ("BEGIN RSA PRIVATE KEY") or PKCS#8 ("BEGIN PRIVATE KEY"), ' +
  'e.g. the output of `openssl genrsa -out futu.pem 1024`';

/** The PEM block labels in `text`, e.g. ["RSA PRIVATE KEY"]. */
function pemLabels(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
}

/**
 * `pem` as a PKCS#1 PEM. `what` names where the key came from (a secret, a file) for the error message.
 * Throws RsaKeyFormatError for anything that is not an unencrypted RSA private key of ≥ 1024 bits.
 */
export function toPkcs1Pem(raw: string, what: string): string {
  // Pasted into a console or a secret, a PEM often gains CRLF line ends and surrounding blanks.
  const pem = `${raw.replace(/\r\n?/g, '\n').trim()}\n`;
  const labels = pemLabels(pem);
  const label = labels.find((l) => l.endsWith('PRIVATE KEY'));
  if (label === undefined) {
    const found = labels.length > 0 ? `a PEM "${labels[0]}"` : 'no PEM block at all';
    throw new RsaKeyFormatError(`${what} holds ${found}; expected ${ACCEPTED}`);
  }
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new RsaKeyFormatError(
      `${what} is passphrase-protected; OpenD cannot use it. Remove the passphrase (openssl pkey -in key.pem -out plain.pem) and store that; expected ${ACCEPTED}`,
    );
  }
  if (label !== 'RSA PRIVATE KEY' && label !== 'PRIVATE KEY') {
    throw new RsaKeyFormatError(`${what} holds a "${label}", not an RSA key; expected ${ACCEPTED}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Node's message can quote the input: it is not passed on.
    throw new RsaKeyFormatError(`${what} has a "${label}" header but the key does not parse (truncated or altered?); expected ${ACCEPTED}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new RsaKeyFormatError(`${what} is a PKCS#8 ${key.asymmetricKeyType?.toUpperCase() ?? 'non-RSA'} key, not RSA; expected ${ACCEPTED}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) throw new RsaKeyFormatError(`${what} is a ${bits}-bit RSA key; OpenD needs at least 1024 bits (it uses 1024)`);
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

/** Whether `pem` is already in OpenD's form (a PKCS#1 block), so a file holding it can be used as it is. */
export function isPkcs1Pem(pem: string): boolean {
  return pemLabels(pem)[0] === 'RSA PRIVATE KEY' && !/Proc-Type:\s*4,ENCRYPTED/.test(pem);
}
