// The drive phase: callers placing the planned orders through the HTTP handlers as a careful client would
// (same clientOrderId on every retry, honouring Retry-After), while a fault runner fires the planned faults.
// Every caller loop is bounded in attempts and wall time; what each caller was last told is recorded, because
// the checks distinguish "the caller was told the outcome is unknown" from "the caller was told it worked".
import { parseAccId, parseOrderRequest, checkMarketRules } from '../../functions/lib/order-input.js';
import { placeOrderIdempotently, type PlacementResponse } from '../../functions/lib/place-order.js';
import { stepTicks } from '../../proto/ticks.js';
import type { FaultKind, PlannedFault, PlannedOrder, SoakPlan } from './plan.js';
import { PENDING_STALE_MS, type World } from './world.js';
import { sleep } from '../../proto/timers.js';

/** What the caller of one clientOrderId knows at the end. */
export type Told =
  | { kind: 'accepted'; orderId: string }
  | { kind: 'rejected'; message: string }
  /** Last answer was 503 OUTCOME_UNKNOWN / GATEWAY_NOT_READY, a crash, or the retry budget ran out. */
  | { kind: 'unknown'; why: string; final?: boolean };

export interface CallerRecord {
  order: PlannedOrder;
  /** The request body, fixed on the first attempt: every retry sends the same order. */
  body?: Record<string, unknown>;
  told: Told;
  attempts: number;
  /** 201 replies to one clientOrderId that named different orderIds (must never happen). */
  conflictingOrderIds: string[];
  /** When the caller started and when it got its last answer (ms since epoch). */
  startedAt: number;
  answeredAt: number;
  /** Replies the soak did not expect at all (400s: the soak's own bug; 500s: the product's). */
  unexpected: string[];
}

export interface DriveStats {
  started: number;
  duplicatesSent: number;
  statuses: Record<string, number>;
  faults: Record<string, number>;
  crashes: Record<string, number>;
  faultErrors: string[];
}

function body(o: PlannedOrder, price: number | undefined) {
  const b: Record<string, unknown> = { code: o.code, side: o.side, type: o.type === 'LIMIT' ? 'NORMAL' : 'MARKET', qty: o.lots * lotOf(o.code) };
  if (price !== undefined) b['price'] = price;
  if (!o.viaHeader) b['clientOrderId'] = o.clientOrderId;
  return b;
}

function lotOf(code: string): number {
  return code.startsWith('HK.') ? 100 : 1;
}

/** The price chosen on the first attempt is kept for every retry: a retry must be the same order. */
function priceFor(w: World, o: PlannedOrder): number | undefined {
  if (o.type === 'MARKET') return undefined;
  const top = w.sim.market.top(o.code);
  if (!top) throw new Error(`the simulator has no quote for ${o.code}`);
  const rule = o.code.startsWith('HK.') ? 'HK' : 'US';
  return o.ticksFromTouch >= 0 ? stepTicks(rule, top.bid, -o.ticksFromTouch) : stepTicks(rule, top.ask, -o.ticksFromTouch);
}

/**
 * A crash of the placing function before or after PlaceOrder, through the placement's fault-injection hooks:
 * the same steps as the POST handler, with a hook that throws as a dying Lambda would. The caller gets no answer.
 */
async function crashedPlacement(w: World, o: PlannedOrder, b: Record<string, unknown>): Promise<PlacementResponse> {
  const rt = w.h.rt;
  const headers: Record<string, string | undefined> = o.viaHeader ? { 'idempotency-key': o.clientOrderId } : {};
  const req = parseOrderRequest(b, headers['idempotency-key']);
  const s = await rt.openD.get();
  const acc = await rt.directory.resolve(s, parseAccId(o.account.accId));
  checkMarketRules(req, await rt.directory.securityRules(s, req.security));
  const die = () => {
    throw new Error('soak: injected crash');
  };
  return placeOrderIdempotently(
    {
      idempotency: rt.idempotency,
      limiter: rt.limiter,
      openD: () => rt.openD.get(),
      log: rt.log,
      pendingStaleMs: rt.config.pendingStaleMs,
      ...(o.crash === 'beforePlaceOrder' ? { afterRecord: die } : { afterPlaced: die }),
    },
    acc,
    req,
  );
}

interface Reply {
  status: number;
  code?: string;
  orderId?: string;
  retryAfterMs: number;
  message: string;
  reason?: string;
}

async function post(w: World, o: PlannedOrder, b: Record<string, unknown>): Promise<Reply> {
  try {
    const r = await w.h.http('POST', `/v1/accounts/${o.account.accId}/orders`, { body: b, headers: o.viaHeader ? { 'Idempotency-Key': o.clientOrderId } : {} });
    const ra = Number(r.headers['retry-after'] ?? r.headers['Retry-After']);
    return {
      status: r.status,
      code: r.body?.error?.code,
      orderId: r.body?.order?.orderId,
      retryAfterMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : 0,
      message: r.body?.error?.message ?? '',
      reason: r.body?.error?.details?.reason,
    };
  } catch (err) {
    // The handler threw instead of answering: API Gateway would answer 500. Where it came from helps a report.
    const at = (err as Error).stack?.split('\n').find((l) => l.includes(' at ') && !l.includes('node_modules'))?.trim();
    return { status: 500, retryAfterMs: 0, message: `${(err as Error).message}${at ? ` (${at})` : ''}` };
  }
}

export async function driveOne(w: World, o: PlannedOrder, stats: DriveStats, deadline: number, fixedBody?: Record<string, unknown>): Promise<CallerRecord> {
  const rec: CallerRecord = { order: o, told: { kind: 'unknown', why: 'never answered' }, attempts: 0, conflictingOrderIds: [], unexpected: [], startedAt: Date.now(), answeredAt: 0 };
  try {
    return await attemptAll(w, o, stats, deadline, rec, fixedBody);
  } finally {
    rec.answeredAt = Date.now();
  }
}

async function attemptAll(w: World, o: PlannedOrder, stats: DriveStats, deadline: number, rec: CallerRecord, fixedBody?: Record<string, unknown>): Promise<CallerRecord> {
  if (!fixedBody) {
    try {
      fixedBody = body(o, priceFor(w, o));
    } catch (err) {
      rec.unexpected.push(`no price: ${(err as Error).message}`);
      return rec;
    }
  }
  const b = fixedBody;
  rec.body = b;
  let first = true;
  // Bounded: at most 60 attempts and the caller's deadline (a retry after a stale PENDING record waits ~25 s).
  for (let attempt = 0; attempt < 60 && Date.now() < deadline; attempt++) {
    rec.attempts++;
    if (first && o.crash !== 'none') {
      first = false;
      try {
        // No crash when the placement ended before reaching the hook (e.g. OpenD rejected the order): then
        // its answer is what the caller gets.
        const r = await crashedPlacement(w, o, b);
        stats.crashes[`${o.crash} (not reached)`] = (stats.crashes[`${o.crash} (not reached)`] ?? 0) + 1;
        const orderId = (r.body as { order?: { orderId?: string } }).order?.orderId;
        if (r.status === 201 && orderId) {
          rec.told = { kind: 'accepted', orderId };
          return rec;
        }
        if (r.status === 422) {
          rec.told = { kind: 'rejected', message: JSON.stringify(r.body) };
          return rec;
        }
        rec.told = { kind: 'unknown', why: `placement answered ${r.status}` };
      } catch (err) {
        const m = (err as Error).message;
        if (m === 'soak: injected crash') stats.crashes[o.crash] = (stats.crashes[o.crash] ?? 0) + 1;
        rec.told = { kind: 'unknown', why: m === 'soak: injected crash' ? `crash ${o.crash}` : `placement failed before the crash: ${m}` };
      }
      continue;
    }
    const copies = first ? o.copies : 1;
    first = false;
    stats.duplicatesSent += copies - 1;
    const replies = await Promise.all(Array.from({ length: copies }, () => post(w, o, b)));
    for (const r of replies) stats.statuses[r.code ? `${r.status} ${r.code}` : String(r.status)] = (stats.statuses[r.code ? `${r.status} ${r.code}` : String(r.status)] ?? 0) + 1;
    const ok = replies.filter((r) => r.status === 201);
    const ids = new Set(ok.map((r) => r.orderId));
    if (ids.size > 1) rec.conflictingOrderIds.push(...[...ids].map(String));
    if (ok.length) {
      rec.told = { kind: 'accepted', orderId: String(ok[0]!.orderId) };
      return rec;
    }
    const rejected = replies.find((r) => r.status === 422);
    if (rejected) {
      rec.told = { kind: 'rejected', message: rejected.message };
      return rec;
    }
    // The product's answer for an unknown outcome from an earlier trading day: told, and not to be retried.
    const earlierDay = replies.find((r) => r.status === 409 && r.reason === 'OUTCOME_UNKNOWN_EARLIER_TRADING_DAY');
    if (earlierDay) {
      rec.told = { kind: 'unknown', why: `409 ${earlierDay.reason}`, final: true };
      return rec;
    }
    const bad = replies.find((r) => r.status === 400 || r.status === 404 || (r.status === 409 && !/still being placed/.test(r.message)));
    if (bad) {
      rec.unexpected.push(`${bad.status} ${bad.code}: ${bad.message}`);
      rec.told = { kind: 'rejected', message: bad.message };
      return rec;
    }
    const unknown = replies.find((r) => r.status === 503 || r.status >= 500);
    if (unknown) rec.told = { kind: 'unknown', why: `${unknown.status} ${unknown.code ?? ''} ${unknown.message}`.trim() };
    if (replies.some((r) => r.status >= 500 && r.status !== 503)) rec.unexpected.push(`${replies.find((r) => r.status >= 500 && r.status !== 503)!.status}: ${replies.find((r) => r.status >= 500 && r.status !== 503)!.message}`);
    // 429 / 409-in-progress / 503: wait as told (capped), with a little seeded-free jitter from the attempt.
    const wait = Math.max(250, ...replies.map((r) => r.retryAfterMs));
    await sleep(Math.min(wait + (attempt % 5) * 37, PENDING_STALE_MS + 2000, Math.max(0, deadline - Date.now())));
  }
  if (rec.told.kind === 'unknown') rec.told = { kind: 'unknown', why: `retry budget ran out; last: ${rec.told.why}` };
  return rec;
}

/** Runs the planned faults in order as the orders progress; one fault at a time. */
export class FaultRunner {
  private next = 0;
  private busy: Promise<void> = Promise.resolve();
  private stopped = false;
  private wrongPasswordActive = false;

  constructor(
    private readonly w: World,
    private readonly faults: PlannedFault[],
    private readonly stats: DriveStats,
    private readonly log: (s: string) => void,
    private readonly verbose: boolean,
  ) {}

  /** Called as each order starts; fires the faults that are due. */
  onOrderStarted(started: number): void {
    while (!this.stopped && this.next < this.faults.length && this.faults[this.next]!.afterOrders <= started) {
      const f = this.faults[this.next++]!;
      this.busy = this.busy.then(() => this.fire(f)).catch((err: Error) => {
        this.stats.faultErrors.push(`${f.kind}: ${err.message}`);
        this.log(`fault ${f.kind} failed: ${err.message}`);
      });
    }
  }

  private count(kind: FaultKind | string): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
  }

  private async fire(f: PlannedFault): Promise<void> {
    if (this.stopped) return;
    const w = this.w;
    if (this.verbose) this.log(`fault: ${f.kind}${f.ms ? ` ${f.ms} ms` : ''} after order ${f.afterOrders}`);
    switch (f.kind) {
      case 'dropConnections':
        w.sim.core.dropAllConnections('soak: dropped');
        break;
      case 'stallReplies':
        w.sim.core.stallReplies(f.ms);
        await sleep(Math.min(f.ms, 4000) + 1000);
        w.sim.core.stallReplies(0);
        break;
      case 'relaySigkill':
        await w.relay.sigkill();
        await sleep(500);
        await w.relay.start();
        break;
      case 'simulatorRestart':
        if (!w.canRestartSimulator) {
          this.count('simulatorRestart (skipped: no state file support)');
          return;
        }
        await w.restartSimulator();
        break;
      case 'tradingDayJump':
        // A day forward on the virtual clock: DAY orders of the old trading date expire, "today's" lists change.
        w.sim.advance(24 * 3600_000);
        break;
      case 'wrongTradePassword': {
        // Unlock is OpenD-wide, so lock it first; the relay restarted with a wrong password cannot unlock
        // again, and REAL placements are rejected until the right password is back.
        await w.relay.stop();
        w.sim.trading.unlock(false);
        this.wrongPasswordActive = true;
        await w.relay.start({ wrongPassword: true });
        await sleep(4000);
        await w.relay.stop();
        await w.relay.start();
        this.wrongPasswordActive = false;
        break;
      }
    }
    this.count(f.kind);
  }

  /** Stops firing; waits for the fault in progress; leaves the relay running with the right password. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.busy;
    this.w.sim.core.stallReplies(0);
    if (this.wrongPasswordActive || !(await this.w.relay.readyz())) {
      await this.w.relay.stop();
      await this.w.relay.start();
    }
  }
}

/** Drives every planned order with `plan.concurrency` callers; stops starting new ones at `driveDeadline`. */
export async function drive(w: World, plan: SoakPlan, runner: FaultRunner, stats: DriveStats, driveDeadline: number, callerDeadline: number): Promise<CallerRecord[]> {
  const records: CallerRecord[] = [];
  let next = 0;
  // Orders start at a steady pace over 80 % of the drive window, as a fleet of clients would send them, so
  // that a window of fast rejections (trading locked) does not use up the plan in a few seconds.
  const t0 = Date.now();
  const gapMs = ((driveDeadline - t0) * 0.8) / plan.orders.length;
  const worker = async () => {
    while (next < plan.orders.length && Date.now() < driveDeadline) {
      const i = next++;
      const o = plan.orders[i]!;
      const due = t0 + i * gapMs;
      if (due > Date.now()) await sleep(Math.min(due - Date.now(), Math.max(0, driveDeadline - Date.now())));
      stats.started++;
      runner.onOrderStarted(stats.started);
      records.push(await driveOne(w, o, stats, callerDeadline));
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return records;
}
