// The gateway's RSA key, made ready before OpenD or the simulator starts:
// - a key file mounted by the operator (OPEND_RSA_KEY_FILE) in PKCS#8 is converted to PKCS#1 into the runtime
//   directory, because OpenD reads only PKCS#1 (a key staged from a secret is converted while staging);
// - in simulator mode, while the deployed key secret still holds the placeholder, a key is generated, stored
//   into that secret (OPEND_RSA_KEY_SECRET_ARN; the task role may PutSecretValue on that one secret) and
//   used: a paper deployment then needs no secret filled in, and the Lambdas read the same key from the
//   secret. The real OpenD never gets a generated key: its key is the operator's to choose.
// Invariant: the generated key reaches the simulator only after the secret holds it, so the simulator never
// runs with a key the Lambdas cannot read. A failed store stops the gateway (exit 1) and ECS retries the task.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../proto/client.js';
import { generateRsaKeyPem } from '../proto/crypto.js';
import { isPkcs1Pem } from '../proto/rsa-key.js';
import { SECRET_VALUE_VARS } from './opend-config.js';
import { ensurePrivateDir, RSA_FILE_VAR, RSA_VALUE_VAR, rsaPemForOpenD, writePrivateFile, type StagedSecrets } from './secret-staging.js';

/** ARN of the key secret, given to the gateway in simulator mode only (cdk/definitions.ts GATEWAY_ENV). */
export const RSA_SECRET_ARN_VAR = 'OPEND_RSA_KEY_SECRET_ARN';

export type PutSecretValue = (secretId: string, value: string) => Promise<void>;

export interface GatewayRsaKeyOptions {
  log: Logger;
  /** Stores the generated key; defaults to Secrets Manager PutSecretValue with the task's credentials. */
  putSecretValue?: PutSecretValue;
}

const STAGED_FILE_NAME = SECRET_VALUE_VARS.find((v) => v.valueVar === RSA_VALUE_VAR)!.fileName;

/** Updates `staged` in place: its env points at a PKCS#1 key file when there is (or now is) a key. */
export async function prepareGatewayRsaKey(staged: StagedSecrets, runtimeDir: string, opts: GatewayRsaKeyOptions): Promise<void> {
  const env = staged.env;
  const stagedPath = join(runtimeDir, STAGED_FILE_NAME);
  const file = env[RSA_FILE_VAR]?.trim();
  if (file) {
    if (file === stagedPath) return; // staged from the secret: already PKCS#1
    let pem: string;
    try {
      pem = readFileSync(file, 'utf8');
    } catch {
      return; // readSettingsFromEnv reports an unreadable file with the reason
    }
    if (isPkcs1Pem(pem)) return;
    const converted = rsaPemForOpenD(pem, `${RSA_FILE_VAR}=${file}`, RSA_FILE_VAR);
    ensurePrivateDir(runtimeDir);
    writePrivateFile(stagedPath, converted);
    staged.files.push(stagedPath);
    env[RSA_FILE_VAR] = stagedPath;
    opts.log.info('converted the mounted RSA key from PKCS#8 to PKCS#1 for OpenD', { from: file });
    return;
  }

  const mode = env['OPEND_MODE']?.trim() || (env['OPEND_SIMULATOR_ONLY'] === '1' ? 'simulator' : 'opend');
  const secretArn = env[RSA_SECRET_ARN_VAR]?.trim();
  if (mode !== 'simulator' || !secretArn || !staged.unconfigured.includes(RSA_VALUE_VAR)) return;

  const pem = generateRsaKeyPem();
  const put = opts.putSecretValue ?? putSecretValueWithSdk;
  try {
    await put(secretArn, pem);
  } catch (err) {
    const e = err as Error;
    throw new Error(
      `could not store the generated RSA key in ${secretArn} (${e.name}: ${e.message}); the task role needs ` +
        `secretsmanager:PutSecretValue on that secret. Or fill the secret yourself with a PEM from \`openssl genrsa 1024\`.`,
    );
  }
  ensurePrivateDir(runtimeDir);
  writePrivateFile(stagedPath, pem);
  staged.files.push(stagedPath);
  env[RSA_FILE_VAR] = stagedPath;
  staged.unconfigured.splice(staged.unconfigured.indexOf(RSA_VALUE_VAR), 1);
  opts.log.info('generated the RSA key shared by the simulator and the Lambdas and stored it in its secret', { storedIn: secretArn });
}

async function putSecretValueWithSdk(secretId: string, value: string): Promise<void> {
  // Loaded only when needed: most starts never store a secret.
  const { PutSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  try {
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value, ClientRequestToken: randomUUID() }));
  } finally {
    client.destroy();
  }
}
