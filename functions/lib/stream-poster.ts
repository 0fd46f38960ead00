/**
 * How the fan-out reaches a WebSocket client: `ConnectionPoster.post(connectionId, text)`. In AWS it is API
 * Gateway's management API (`postToConnection` on the stage's callback URL, STREAM_CALLBACK_URL); the local
 * stack installs its own registry of open sockets with `setConnectionPoster`, so the fan-out code is the same.
 * Invariant: a connection that no longer exists is reported as GoneConnectionError (API Gateway's 410
 * GoneException), and only then; the caller deletes its records.
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { STREAM_CALLBACK_URL_ENV } from './stream-protocol.js';

export { STREAM_CALLBACK_URL_ENV };

export interface ConnectionPoster {
  post(connectionId: string, data: string): Promise<void>;
}

export class GoneConnectionError extends Error {
  override readonly name = 'GoneConnectionError';
  constructor(readonly connectionId: string) {
    super(`connection ${connectionId} is gone`);
  }
}

/** postToConnection; a 410 GoneException becomes GoneConnectionError (checked by name and status, not class). */
export class ApiGatewayConnectionPoster implements ConnectionPoster {
  private readonly client: ApiGatewayManagementApiClient;

  /** `config`: region and credentials for a client outside Lambda (tests against a local endpoint). */
  constructor(endpoint: string, config: ConstructorParameters<typeof ApiGatewayManagementApiClient>[0] = {}) {
    this.client = new ApiGatewayManagementApiClient({ ...config, endpoint });
  }

  async post(connectionId: string, data: string): Promise<void> {
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(data, 'utf8') }));
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e?.name === 'GoneException' || e?.$metadata?.httpStatusCode === 410) throw new GoneConnectionError(connectionId);
      throw err;
    }
  }
}

let installed: ConnectionPoster | undefined;

/** The execution environment's poster: the installed one, else API Gateway's at STREAM_CALLBACK_URL. */
export function connectionPoster(env: NodeJS.ProcessEnv = process.env): ConnectionPoster {
  if (installed) return installed;
  const endpoint = env[STREAM_CALLBACK_URL_ENV];
  if (!endpoint) throw new Error(`${STREAM_CALLBACK_URL_ENV} is not set: the CDK app sets it on the stream fan-out function to the WebSocket stage's callback URL`);
  installed = new ApiGatewayConnectionPoster(endpoint);
  return installed;
}

/** For the local stack and tests: install (or drop) the poster. */
export function setConnectionPoster(poster: ConnectionPoster | undefined): void {
  installed = poster;
}
