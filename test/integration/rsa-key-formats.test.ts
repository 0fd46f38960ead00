// The key the Lambdas read from Secrets Manager may be PKCS#1 or PKCS#8 (`openssl genrsa` on OpenSSL 3): with
// either, a function's OpenD connection completes the RSA InitConnect with a simulator holding the same key.
// Real parts: the simulator over TCP, the functions' runtime with the real AWS SDK Secrets Manager client on a
// local endpoint (test/support/local-secrets-manager.ts).
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../gateway-container/simulator/index.js';
import { createRuntime, loadRuntimeConfig } from '../../functions/lib/runtime.js';
import { FUNCTION_ENV } from '../../functions/lib/function-env.js';
import { silentLogger } from '../../proto/log.js';
import { startLocalSecretsManager, type LocalSecretsManager } from '../support/local-secrets-manager.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PKCS1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:OpenDCloud-RsaPrivateKey-AbCdEf';

let sim: Simulator;
let secrets: LocalSecretsManager;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', port: 0, rsaPrivateKey: PKCS1 });
  secrets = await startLocalSecretsManager();
  // The functions' runtime builds its SecretsManagerClient from the environment, as in Lambda.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
});

afterAll(async () => {
  await sim?.close();
  await secrets?.close();
});

function lambdaRuntime() {
  const env = { [FUNCTION_ENV.openDHost]: '127.0.0.1', [FUNCTION_ENV.openDPort]: String(sim.port), [FUNCTION_ENV.rsaKeySecretArn]: ARN };
  return createRuntime(loadRuntimeConfig(env), silentLogger);
}

describe('the RSA key formats the Lambdas accept', () => {
  for (const [format, pem] of [['PKCS#1', PKCS1], ['PKCS#8', PKCS8]] as const) {
    it(`connects to OpenD with an encrypted session when the secret holds a ${format} key`, async () => {
      secrets.put(ARN, pem);
      const runtime = lambdaRuntime();
      try {
        const session = await runtime.openD.get();
        const [quote] = await session.quotes.snapshot(['HK.00700']);
        expect(quote?.code).toMatch(/00700/);
        const conn = [...sim.core.connections.values()].find((c) => c.clientId === 'opend-cloud-lambda');
        expect(conn?.encrypted).toBe(true);
      } finally {
        await runtime.openD.close();
      }
    });
  }

  it('refuses an EC key in the secret with a message naming the secret and what is accepted', async () => {
    secrets.put(ARN, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const runtime = lambdaRuntime();
    try {
      await expect(runtime.openD.get()).rejects.toThrow(`secret ${ARN} is a PKCS#8 EC key, not RSA`);
    } finally {
      await runtime.openD.close();
    }
  });
});
