/**
 * The runtime quote subscriptions (table `subscriptions`, functions/lib/tables.ts): what the relay should hold
 * beyond its deploy-time set (RELAY_SUBSCRIPTIONS). The table is the truth: the relay reads it every few seconds
 * (gateway-container/relay/runtime-subscriptions.ts) and after every reconnect or restart, and applies it.
 *
 * Item format (the relay reads the same attributes; the integration test writes through this store and checks
 * the relay applies it): partition `scope` = "relay", sort `pair` = "<code>|<SubType>", plus `code`, `subType`,
 * `requestedAt` (epoch ms of the first PUT) and `requestedBy` (the caller's principal).
 *
 * Invariants: one item per (code, SubType); a repeated PUT keeps the first `requestedAt` (the minute rule counts
 * from the first subscription); the relay only reads (its role has Query on this table and nothing else).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { parseSecurity } from '../../proto/securities.js';

/**
 * Quota units the relay's set must leave to the quotes function's short Get* subscriptions (the CDK app sets it
 * from QUOTE_RESERVE_MARGIN, cdk/quote-reserve.ts).
 */
export const HEADROOM_ENV = 'SUBSCRIPTION_API_HEADROOM';
export const DEFAULT_HEADROOM = 10;

/** The one partition: a small table (a few hundred items at most: OpenD's quota), read with one Query. */
export const SUBSCRIPTION_SCOPE = 'relay';

/** Qot_Common.SubType names without NONE. */
export const SUB_TYPE_NAMES: readonly string[] = Object.keys(Qot_Common.SubType).filter((k) => k !== 'NONE' && Number.isNaN(Number(k)));

export interface SubscriptionPair {
  code: string;
  subType: string;
}

export interface StoredSubscription extends SubscriptionPair {
  requestedAt: number;
  requestedBy: string;
}

export const pairKey = (p: SubscriptionPair): string => `${p.code}|${p.subType}`;

export class DynamoSubscriptionStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(): Promise<StoredSubscription[]> {
    const out: StoredSubscription[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'scope' }, ExpressionAttributeValues: { ':s': SUBSCRIPTION_SCOPE }, ExclusiveStartKey: start }),
      );
      for (const i of r.Items ?? []) out.push({ code: String(i['code']), subType: String(i['subType']), requestedAt: Number(i['requestedAt']), requestedBy: String(i['requestedBy'] ?? '') });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Adds the pairs not stored yet; a stored pair keeps its first `requestedAt`. Returns the pairs added. */
  async add(pairs: readonly SubscriptionPair[], requestedBy: string, now: number): Promise<SubscriptionPair[]> {
    const added: SubscriptionPair[] = [];
    for (const p of pairs) {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { scope: SUBSCRIPTION_SCOPE, pair: pairKey(p), code: p.code, subType: p.subType, requestedAt: now, requestedBy },
            ConditionExpression: 'attribute_not_exists(#p)',
            ExpressionAttributeNames: { '#p': 'pair' },
          }),
        );
        added.push(p);
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
    return added;
  }

  async remove(pairs: readonly SubscriptionPair[]): Promise<void> {
    for (const p of pairs) await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { scope: SUBSCRIPTION_SCOPE, pair: pairKey(p) } }));
  }
}

/**
 * The deploy-time set as the subscriptions function sees it (RELAY_SUBSCRIPTIONS, the same JSON the relay
 * gets; the CDK app validated it with the relay's schema): distinct pairs, codes normalised.
 */
export function basePairs(raw: string | undefined): SubscriptionPair[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new Error(`RELAY_SUBSCRIPTIONS is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value)) throw new Error('RELAY_SUBSCRIPTIONS must be a list like [{"codes":["HK.00700"],"types":["BASIC"]}]');
  const seen = new Map<string, SubscriptionPair>();
  for (const s of value as { codes?: unknown; types?: unknown }[]) {
    for (const code of Array.isArray(s?.codes) ? s.codes : []) {
      for (const type of Array.isArray(s?.types) ? s.types : []) {
        const p = { code: parseSecurity(String(code), 'RELAY_SUBSCRIPTIONS').key, subType: String(type) };
        seen.set(pairKey(p), p);
      }
    }
  }
  return [...seen.values()];
}
