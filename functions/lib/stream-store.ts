/**
 * The WebSocket stream's connection table (TABLES.streamConnections): partition key `topic`, sort key
 * `connectionId`. Two kinds of item:
 *   - `conn#<connectionId>`: the connection itself — the IAM caller $connect authenticated (later messages
 *     carry no identity, so authorization reads it from here) and the string set `topics` it holds;
 *   - `<topic>` (`quote#HK.00700#Quote`, `account#<accId>`): one item per subscribed connection, so the fan-out
 *     finds the connections of an event with one Query of that partition (never a Scan).
 * Every item carries the connection's `expiresAt` (epoch seconds, DynamoDB TTL): API Gateway closes a WebSocket
 * connection after 2 hours at most, so records outlive a lost $disconnect by minutes, not forever. TTL deletes
 * lazily, so readers also skip expired items themselves.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './dynamo-errors.js';
import { StreamError } from './stream-protocol.js';

/** API Gateway's maximum WebSocket connection duration (2 h) plus a margin for clock skew. */
export const CONNECTION_TTL_SEC = 2 * 60 * 60 + 5 * 60;

export interface StreamConnection {
  connectionId: string;
  caller: string;
  connectedAt: string;
  topics: string[];
  expiresAt: number;
}

const connKey = (connectionId: string) => ({ topic: `conn#${connectionId}`, connectionId });

export class DynamoStreamStore {
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Records a new connection and the caller $connect authenticated. */
  async connect(connectionId: string, caller: string): Promise<StreamConnection> {
    const now = this.now();
    const conn = { connectionId, caller, connectedAt: new Date(now).toISOString(), topics: [] as string[], expiresAt: Math.floor(now / 1000) + CONNECTION_TTL_SEC };
    // `topics` starts absent: DynamoDB has no empty sets; ADD creates it with the first subscription.
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...connKey(connectionId), caller: conn.caller, connectedAt: conn.connectedAt, expiresAt: conn.expiresAt } }));
    return conn;
  }

  /** The connection's record, or undefined when it is unknown, disconnected or expired. */
  async get(connectionId: string): Promise<StreamConnection | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: connKey(connectionId), ConsistentRead: true }));
    const item = out.Item;
    if (!item || (item['expiresAt'] as number) <= Math.floor(this.now() / 1000)) return undefined;
    return {
      connectionId,
      caller: item['caller'] as string,
      connectedAt: item['connectedAt'] as string,
      topics: [...((item['topics'] as Set<string> | undefined) ?? [])].sort(),
      expiresAt: item['expiresAt'] as number,
    };
  }

  /**
   * Adds topics to a connection: first to its own record (atomically, a string-set ADD, refused when the record
   * is gone), then one item per topic for the fan-out. Refuses, adding nothing, past `maxTopics` in all.
   * Returns every topic the connection now holds.
   */
  async subscribe(conn: StreamConnection, topics: readonly string[], maxTopics: number): Promise<string[]> {
    const all = new Set([...conn.topics, ...topics]);
    if (all.size > maxTopics) {
      throw new StreamError('LIMIT_EXCEEDED', `a connection may hold at most ${maxTopics} subscriptions (security × type, plus accounts); this would make ${all.size}. Unsubscribe first, or open another connection`, { max: maxTopics, requested: all.size });
    }
    if (topics.length === 0) return [...all].sort();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connKey(conn.connectionId),
          UpdateExpression: 'ADD #topics :t',
          // Names, not the bare words: DynamoDB reserves many common words in expressions.
          ConditionExpression: 'attribute_exists(#topic)',
          ExpressionAttributeNames: { '#topic': 'topic', '#topics': 'topics' },
          ExpressionAttributeValues: { ':t': new Set(topics) },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new StreamError('NOT_CONNECTED', 'this connection is no longer registered; reconnect');
      throw err;
    }
    await Promise.all(
      topics.map((topic) =>
        this.doc.send(new PutCommand({ TableName: this.tableName, Item: { topic, connectionId: conn.connectionId, expiresAt: conn.expiresAt } })),
      ),
    );
    return [...all].sort();
  }

  /** Removes topics from a connection (unknown ones are ignored); returns the topics it still holds. */
  async unsubscribe(conn: StreamConnection, topics: readonly string[]): Promise<string[]> {
    const held = topics.filter((t) => conn.topics.includes(t));
    if (held.length > 0) {
      await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: connKey(conn.connectionId), UpdateExpression: 'DELETE #topics :t', ExpressionAttributeNames: { '#topics': 'topics' }, ExpressionAttributeValues: { ':t': new Set(held) } }),
      );
      await Promise.all(held.map((topic) => this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { topic, connectionId: conn.connectionId } }))));
    }
    return conn.topics.filter((t) => !held.includes(t));
  }

  /** Forgets a connection and all its subscriptions ($disconnect, or a 410 Gone from postToConnection). */
  async remove(connectionId: string): Promise<number> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: connKey(connectionId), ConsistentRead: true }));
    const topics = [...((out.Item?.['topics'] as Set<string> | undefined) ?? [])];
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: connKey(connectionId) }));
    await Promise.all(topics.map((topic) => this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { topic, connectionId } }))));
    return topics.length;
  }

  /** The connections subscribed to `topic` (one Query of its partition, every page), expired ones left out. */
  async connectionsFor(topic: string): Promise<string[]> {
    const ids: string[] = [];
    const nowSec = Math.floor(this.now() / 1000);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#topic = :t',
          ExpressionAttributeNames: { '#topic': 'topic', '#id': 'connectionId', '#exp': 'expiresAt' },
          ExpressionAttributeValues: { ':t': topic },
          ProjectionExpression: '#id, #exp',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if ((item['expiresAt'] as number) > nowSec) ids.push(item['connectionId'] as string);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return ids;
  }
}
