// Accounts and securities as the Lambdas see them: the account list and static data change rarely, so
// they are cached per execution environment.
import { tradeMarketFor, type AccountRef, type TrdMarketName } from '../../proto/api/trading.js';
import { DerivativesApi } from '../../proto/api/derivatives.js';
import { ValidationError } from '../../proto/errors.js';
import type { SecurityRef } from '../../proto/securities.js';
import { invalid, notFound } from './api-error.js';
import type { OpenDSession } from './opend-connection.js';
import { tickRuleOf, type SecurityRules } from './order-input.js';

const ACCOUNTS_TTL_MS = 60_000;
const RULES_TTL_MS = 10 * 60_000;

export class AccountDirectory {
  private cache: { at: number; accounts: (AccountRef & { markets: string[] })[] } | null = null;
  private rules = new Map<string, { at: number; rules: SecurityRules }>();

  async list(s: OpenDSession): Promise<(AccountRef & { markets: string[] })[]> {
    if (!this.cache || Date.now() - this.cache.at > ACCOUNTS_TTL_MS) {
      // Futu lists futures accounts only when asked for trdCategory FUTURE; orders may name either kind.
      const accounts = [...(await s.trade.accounts()), ...(await new DerivativesApi(s.client).futuresAccounts())];
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

  /**
   * The account with the trade market of `security` in its header: a universal account trades HK, US and A shares
   * (HKCC) under one ID, and each request names the market of its security. 400 naming the account's markets when
   * it cannot trade the security.
   */
  async resolveFor(s: OpenDSession, accId: string, security: Pick<SecurityRef, 'key'>): Promise<AccountRef> {
    const ref = await this.resolve(s, accId);
    const acc = (await this.list(s)).find((a) => a.accId === ref.accId) ?? { ...ref, markets: [ref.market] };
    let market: TrdMarketName | undefined;
    try {
      market = tradeMarketFor(acc, security.key);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
    }
    if (!market) {
      throw invalid('code', `${security.key} cannot be traded by account ${accId}: it trades ${acc.markets.join(', ') || 'no market'}`, { markets: acc.markets });
    }
    return { ...ref, market };
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
