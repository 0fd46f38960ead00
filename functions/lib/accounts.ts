// Accounts and securities as the Lambdas see them: the account list and static data change rarely, so
// they are cached per execution environment.
import type { AccountRef } from '../../proto/api/trading.js';
import type { SecurityRef } from '../../proto/securities.js';
import { notFound } from './api-error.js';
import type { OpenDSession } from './opend-connection.js';
import { tickRuleOf, type SecurityRules } from './order-input.js';

const ACCOUNTS_TTL_MS = 60_000;
const RULES_TTL_MS = 10 * 60_000;

export class AccountDirectory {
  private cache: { at: number; accounts: (AccountRef & { markets: string[] })[] } | null = null;
  private rules = new Map<string, { at: number; rules: SecurityRules }>();

  async list(s: OpenDSession): Promise<(AccountRef & { markets: string[] })[]> {
    if (!this.cache || Date.now() - this.cache.at > ACCOUNTS_TTL_MS) {
      const accounts = await s.trade.accounts();
      this.cache = { at: Date.now(), accounts };
    }
    return this.cache.accounts;
  }

  async resolve(s: OpenDSession, accId: string): Promise<AccountRef> {
    let acc = (await this.list(s)).find((a) => a.accId.toString() === accId);
    if (!acc) {
      this.cache = null;
      acc = (await this.list(s)).find((a) => a.accId.toString() === accId);
    }
    if (!acc) throw notFound(`account ${accId} does not exist on this gateway; GET /v1/accounts lists them`, { accId });
    return { accId: acc.accId, env: acc.env, market: acc.market };
  }

  async securityRules(s: OpenDSession, ref: SecurityRef): Promise<SecurityRules> {
    const hit = this.rules.get(ref.key);
    if (hit && Date.now() - hit.at < RULES_TTL_MS) return hit.rules;
    const [info] = await s.quotes.staticInfo([ref.key]);
    if (!info) throw notFound(`security ${ref.key} is unknown to OpenD`, { code: ref.key });
    const rules = { lotSize: Math.max(1, info.lotSize), tickRule: tickRuleOf(ref) };
    this.rules.set(ref.key, { at: Date.now(), rules });
    return rules;
  }
}
