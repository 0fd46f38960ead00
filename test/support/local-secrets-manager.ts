// A local Secrets Manager endpoint for tests: GetSecretValue and PutSecretValue over the service's real wire
// protocol (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Operation>`), so the code under test uses the real
// AWS SDK client, pointed here with AWS_ENDPOINT_URL_SECRETS_MANAGER or `endpoint`. AWS publishes no local
// Secrets Manager; this holds secrets in memory, keeps every stored version, and checks nothing else.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredVersion {
  versionId: string;
  value: string;
  clientRequestToken?: string;
}

export interface LocalSecretsManager {
  endpoint: string;
  /** Every version ever stored per secret ARN, oldest first; the last one is AWSCURRENT. */
  versions: Map<string, StoredVersion[]>;
  /** Operations received, in order. */
  calls: string[];
  put(arn: string, value: string): void;
  current(arn: string): string | undefined;
  close(): Promise<void>;
}

export async function startLocalSecretsManager(): Promise<LocalSecretsManager> {
  const versions = new Map<string, StoredVersion[]>();
  const calls: string[] = [];
  const put = (arn: string, value: string, token?: string): StoredVersion => {
    const version = { versionId: randomUUID(), value, ...(token !== undefined ? { clientRequestToken: token } : {}) };
    versions.set(arn, [...(versions.get(arn) ?? []), version]);
    return version;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      calls.push(operation);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return reply(400, { __type: 'InvalidRequestException', message: 'body is not JSON' });
      }
      const arn = String(input['SecretId'] ?? '');
      const name = arn.split(':').pop() ?? arn;
      if (operation === 'GetSecretValue') {
        const current = versions.get(arn)?.at(-1);
        if (current === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return reply(200, { ARN: arn, Name: name, VersionId: current.versionId, SecretString: current.value, VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 });
      }
      if (operation === 'PutSecretValue') {
        if (!versions.has(arn)) return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        if (typeof input['SecretString'] !== 'string') return reply(400, { __type: 'InvalidParameterException', message: 'SecretString is required here' });
        const v = put(arn, input['SecretString'], input['ClientRequestToken'] as string | undefined);
        return reply(200, { ARN: arn, Name: name, VersionId: v.versionId, VersionStages: ['AWSCURRENT'] });
      }
      return reply(400, { __type: 'InvalidRequestException', message: `operation ${operation} is not served locally` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    versions,
    calls,
    put: (arn, value) => void put(arn, value),
    current: (arn) => versions.get(arn)?.at(-1)?.value,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
