/**
 * Small named documents about the gateway that Lambdas read and the relay writes: its health, the latest
 * login challenge, and the like. Last write wins.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface GatewayStateEntry<T extends object = Record<string, unknown>> {
  name: string;
  value: T;
  /** ISO-8601, when `put` was called. */
  updatedAt: string;
}

export interface GatewayStateStore {
  put(name: string, value: object): Promise<void>;
  get<T extends object = Record<string, unknown>>(name: string): Promise<GatewayStateEntry<T> | undefined>;
}

export interface GatewayStateStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
}

export class DynamoGatewayStateStore implements GatewayStateStore {
  private readonly now: () => number;

  constructor(
    private readonly docClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: GatewayStateStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async put(name: string, value: object): Promise<void> {
    // Stored as its JSON form: undefined fields dropped and Dates as strings, whatever marshalling options
    // the caller's client was built with.
    const json: unknown = JSON.parse(JSON.stringify(value));
    const entry = { name, value: json, updatedAt: new Date(this.now()).toISOString() };
    await this.docClient.send(new PutCommand({ TableName: this.tableName, Item: entry }));
  }

  async get<T extends object = Record<string, unknown>>(name: string): Promise<GatewayStateEntry<T> | undefined> {
    const { Item } = await this.docClient.send(
      new GetCommand({ TableName: this.tableName, Key: { name }, ConsistentRead: true }),
    );
    return Item as GatewayStateEntry<T> | undefined;
  }
}
