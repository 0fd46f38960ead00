// What GET /v1/gateway and POST /v1/gateway/verification do: OpenD's state asked directly plus the relay's last
// published health, and the answer to a login challenge sent as Verification (1006) — no docker exec.
// Invariants: a reply names no internal address outside the local stack (the log keeps it); verification
// attempts are limited (10 a minute) before OpenD sees one; the code itself is never logged.
import { enumName } from '../../proto/enums.js';
import * as Common from '../../proto/generated/Common.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import type { Logger } from '../../proto/client.js';
import { PROTO_ID } from '../../proto/registry.js';
import { invalid, publicErrorMessage, rateLimited } from './api-error.js';
import { runtime } from './runtime.js';

const VERIFY_LIMIT = { limit: 10, windowMs: 60_000 };

export interface VerificationInput {
  type: 'PHONE' | 'PICTURE';
  action: 'SUBMIT' | 'REQUEST';
  code?: string;
}

/** The body of POST /v1/gateway/verification, with an error naming the field and what is allowed. */
export function parseVerification(b: unknown): VerificationInput {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalid('body', 'must be a JSON object like {"type":"PHONE","code":"123456"}');
  const { type, code, action } = b as Record<string, unknown>;
  if (type !== 'PHONE' && type !== 'PICTURE') throw invalid('type', 'must be PHONE (SMS code) or PICTURE (picture code)');
  const act = action ?? 'SUBMIT';
  if (act !== 'SUBMIT' && act !== 'REQUEST') throw invalid('action', 'must be SUBMIT (give the code) or REQUEST (send a new code)');
  if (act === 'SUBMIT' && (typeof code !== 'string' || !/^[A-Za-z0-9]{4,8}$/.test(code))) throw invalid('code', 'must be the 4 to 8 letters or digits you received');
  return { type, action: act, code: act === 'SUBMIT' ? (code as string) : undefined };
}

/** OpenD's state (GetGlobalState), the relay's health and, while not ready, the login challenge. */
export async function gatewayStatus(log: Logger) {
  const rt = runtime();
  const [relay, challenge] = await Promise.all([rt.gatewayState.get('relay'), rt.gatewayState.get('loginChallenge')]);
  let openD: Record<string, unknown>;
  try {
    const s = await rt.openD.get();
    const gs = await s.client.request(PROTO_ID.GetGlobalState, { userID: 0n });
    const state = (v: number) => enumName(Qot_Common.QotMarketState, v);
    openD = {
      reachable: true,
      programStatus: enumName(Common.ProgramStatusType, gs.programStatus?.type ?? 0),
      qotLogined: gs.qotLogined,
      trdLogined: gs.trdLogined,
      serverVer: gs.serverVer,
      markets: { HK: state(gs.marketHK), US: state(gs.marketUS), SH: state(gs.marketSH), SZ: state(gs.marketSZ) },
      serverTime: new Date(Number(gs.time) * 1000).toISOString(),
    };
  } catch (err) {
    // No internal address in the reply outside the local stack; the log keeps it.
    log.warn('OpenD not reachable for GET /v1/gateway', { error: (err as Error).message });
    openD = { reachable: false, error: publicErrorMessage(err) };
  }
  const ready = openD['reachable'] === true && openD['programStatus'] === 'READY' && openD['qotLogined'] === true && openD['trdLogined'] === true;
  return { ready, openD, relay: relay?.value ?? null, relayUpdatedAt: relay?.updatedAt, loginChallenge: ready ? null : (challenge?.value ?? null) };
}

/** Sends the code (or asks for a new one) through Verification (1006): type 2 = SMS, 1 = picture; op 2 = submit, 1 = request. */
export async function sendVerification(v: VerificationInput, log: Logger) {
  const rt = runtime();
  const d = await rt.limiter.acquire('Verification#opend', VERIFY_LIMIT);
  if (!d.allowed) throw rateLimited('verification attempts', d.retryAfterMs, VERIFY_LIMIT);
  const s = await rt.openD.get();
  await s.client.request(PROTO_ID.Verification, { type: v.type === 'PHONE' ? 2 : 1, op: v.action === 'SUBMIT' ? 2 : 1, code: v.code });
  log.info('verification sent to OpenD', { type: v.type, action: v.action });
  return { accepted: true, action: v.action, next: v.action === 'SUBMIT' ? 'GET /v1/gateway until ready is true' : 'POST again with the code you receive' };
}
