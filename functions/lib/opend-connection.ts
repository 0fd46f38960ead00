// One OpenD connection per Lambda execution environment, reused while warm. A frozen environment's socket
// may have been dropped by OpenD (no keepalive for 30 s), so a connection idle for longer than `maxIdleMs`
// is replaced before use instead of failing the first request after a thaw.
// The RSA key is loaded once and kept only when the load succeeded: a rejected load (a Secrets Manager
// throttle, the placeholder a first deploy leaves in the secret) is retried by the next get(), never cached
// for the life of the warm environment.
import { OpenDClient, type Logger } from '../../proto/client.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { TradeApi } from '../../proto/api/trading.js';
import { DisconnectedError } from '../../proto/errors.js';

export interface OpenDConnectionOptions {
  host: string;
  port: number;
  rsaPrivateKey: () => Promise<string | undefined>;
  log: Logger;
  maxIdleMs?: number;
  requestTimeoutMs?: number;
  clientId?: string;
}

export interface OpenDSession {
  client: OpenDClient;
  quotes: QuoteApi;
  trade: TradeApi;
}

export class OpenDConnection {
  private session: OpenDSession | null = null;
  private connecting: Promise<OpenDSession> | null = null;
  private lastUsed = 0;
  /** The loaded key; `loaded` false until a load has succeeded. */
  private key: { loaded: false } | { loaded: true; pem: string | undefined } = { loaded: false };
  reconnects = 0;

  constructor(private readonly o: OpenDConnectionOptions) {}

  async get(): Promise<OpenDSession> {
    const idle = Date.now() - this.lastUsed;
    if (this.session && (!this.session.client.connected || idle > (this.o.maxIdleMs ?? 25_000))) {
      this.o.log.info('replacing a stale OpenD connection', { idleMs: idle, connected: this.session.client.connected });
      const old = this.session;
      this.session = null;
      void old.client.close();
    }
    if (!this.session) {
      this.connecting ??= this.open().finally(() => {
        this.connecting = null;
      });
      this.session = await this.connecting;
    }
    this.lastUsed = Date.now();
    return this.session;
  }

  private async open(): Promise<OpenDSession> {
    if (!this.key.loaded) {
      let pem: string | undefined;
      try {
        pem = await this.o.rsaPrivateKey();
      } catch (err) {
        // Not connected, and retryable: the next get() loads the key again.
        throw new DisconnectedError(`not connected to OpenD: loading the RSA private key failed (${(err as Error).message}); the next request tries again`);
      }
      this.key = { loaded: true, pem };
    }
    const key = this.key.pem;
    const client = await OpenDClient.connect({
      host: this.o.host,
      port: this.o.port,
      rsaPrivateKey: key,
      clientId: this.o.clientId ?? 'opend-cloud-lambda',
      requestTimeoutMs: this.o.requestTimeoutMs ?? 10_000,
      connectTimeoutMs: 5_000,
      logger: this.o.log,
    });
    this.reconnects++;
    return { client, quotes: new QuoteApi(client), trade: new TradeApi(client) };
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.client.close();
  }
}
