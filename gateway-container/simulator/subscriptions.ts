// Quote subscriptions: owned by connections, paid for by the OpenD-wide quota.
// An item (security × SubType) costs one unit however many connections hold it; it can be unsubscribed only
// after it has been held for a minute; the quota comes back when no connection holds it any more. Items of
// a closed connection that are younger than a minute linger (and keep using quota) until their minute is up.
export interface SubItem {
  key: string;
  subType: number;
}

interface ItemState extends SubItem {
  holders: Map<bigint, number>; // connId → subscribed at (virtual ms)
  lingerUntil: number;
}

export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
}

export interface SubscriptionOptions {
  quota: number;
  minHoldMs: number;
  now: () => number;
}

const itemId = (i: SubItem) => `${i.key}#${i.subType}`;

export class SubscriptionBook {
  private readonly items = new Map<string, ItemState>();
  constructor(private readonly opts: SubscriptionOptions) {}

  get quota(): number {
    return this.opts.quota;
  }

  private prune(): void {
    const t = this.opts.now();
    for (const [id, it] of this.items) if (it.holders.size === 0 && it.lingerUntil <= t) this.items.delete(id);
  }

  usedQuota(): number {
    this.prune();
    return this.items.size;
  }

  remainQuota(): number {
    return Math.max(0, this.opts.quota - this.usedQuota());
  }

  subscribe(connId: bigint, wanted: SubItem[]): void {
    this.prune();
    const fresh = wanted.filter((w) => !this.items.has(itemId(w)));
    const distinctFresh = new Set(fresh.map(itemId)).size;
    if (this.items.size + distinctFresh > this.opts.quota) {
      throw new SubscriptionError(
        `subscription quota exceeded: ${this.items.size} of ${this.opts.quota} used, this request needs ${distinctFresh} more; unsubscribe something first (after its first minute)`,
      );
    }
    const t = this.opts.now();
    for (const w of wanted) {
      const id = itemId(w);
      let it = this.items.get(id);
      if (!it) this.items.set(id, (it = { key: w.key, subType: w.subType, holders: new Map(), lingerUntil: 0 }));
      if (!it.holders.has(connId)) it.holders.set(connId, t);
    }
  }

  unsubscribe(connId: bigint, items: SubItem[]): void {
    const t = this.opts.now();
    for (const w of items) {
      const since = this.items.get(itemId(w))?.holders.get(connId);
      if (since !== undefined && t - since < this.opts.minHoldMs) {
        const wait = Math.ceil((this.opts.minHoldMs - (t - since)) / 1000);
        throw new SubscriptionError(`${w.key} (subType ${w.subType}) can be unsubscribed only 1 minute after subscribing; try again in ${wait} s`);
      }
    }
    for (const w of items) this.items.get(itemId(w))?.holders.delete(connId);
    this.prune();
  }

  unsubscribeAll(connId: bigint): void {
    this.unsubscribe(connId, this.itemsOf(connId));
  }

  /** The connection is gone: its items are released, those younger than a minute after their minute. */
  connectionClosed(connId: bigint): void {
    const t = this.opts.now();
    for (const it of this.items.values()) {
      const since = it.holders.get(connId);
      if (since === undefined) continue;
      it.holders.delete(connId);
      it.lingerUntil = Math.max(it.lingerUntil, since + this.opts.minHoldMs, t);
    }
    this.prune();
  }

  isHeldBy(connId: bigint, key: string, subType: number): boolean {
    return this.items.get(`${key}#${subType}`)?.holders.has(connId) ?? false;
  }

  isHeldByAny(key: string, subType: number): boolean {
    return (this.items.get(`${key}#${subType}`)?.holders.size ?? 0) > 0;
  }

  itemsOf(connId: bigint): SubItem[] {
    const out: SubItem[] = [];
    for (const it of this.items.values()) if (it.holders.has(connId)) out.push({ key: it.key, subType: it.subType });
    return out;
  }

  connections(): bigint[] {
    const s = new Set<bigint>();
    for (const it of this.items.values()) for (const c of it.holders.keys()) s.add(c);
    return [...s];
  }
}
