// GET /v1/gateway: OpenD's state (asked directly) and the relay's last published health.
// POST /v1/gateway/verification: answers a login challenge with Verification (1006) — no docker exec.
import { enumName } from '../../proto/enums.js';
import * as Common from '../../proto/generated/Common.js';
import * as Qot_Common from '../../proto/generated/Qot_Common.js';
import { invalid, publicErrorMessage, rateLimited } from '../lib/api-error.js';
import { httpHandler } from '../lib/http.js';
import { runtime } from '../lib/runtime.js';
import { PROTO_ID } from '../../proto/registry.js';

const VERIFY_LIMIT = { limit: 10, windowMs: 60_000 };

export const handler = httpHandler({
  'GET /v1/gateway': async (req) => {
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
      req.log.warn('OpenD not reachable for GET /v1/gateway', { error: (err as Error).message });
      openD = { reachable: false, error: publicErrorMessage(err) };
    }
    const ready = openD['reachable'] === true && openD['programStatus'] === 'READY' && openD['qotLogined'] === true && openD['trdLogined'] === true;
    return { status: 200, body: { ready, openD, relay: relay?.value ?? null, relayUpdatedAt: relay?.updatedAt, loginChallenge: ready ? null : (challenge?.value ?? null) } };
  },

  'POST /v1/gateway/verification': async (req) => {
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalid('body', 'must be a JSON object like {"type":"PHONE","code":"123456"}');
    const { type, code, action } = b as Record<string, unknown>;
    if (type !== 'PHONE' && type !== 'PICTURE') throw invalid('type', 'must be PHONE (SMS code) or PICTURE (picture code)');
    const act = action ?? 'SUBMIT';
    if (act !== 'SUBMIT' && act !== 'REQUEST') throw invalid('action', 'must be SUBMIT (give the code) or REQUEST (send a new code)');
    if (act === 'SUBMIT' && (typeof code !== 'string' || !/^[A-Za-z0-9]{4,8}$/.test(code))) throw invalid('code', 'must be the 4 to 8 letters or digits you received');
    const rt = runtime();
    const d = await rt.limiter.acquire('Verification#opend', VERIFY_LIMIT);
    if (!d.allowed) throw rateLimited('verification attempts', d.retryAfterMs, VERIFY_LIMIT);
    const s = await rt.openD.get();
    await s.client.request(PROTO_ID.Verification, { type: type === 'PHONE' ? 2 : 1, op: act === 'SUBMIT' ? 2 : 1, code: act === 'SUBMIT' ? (code as string) : undefined });
    req.log.info('verification sent to OpenD', { type, action: act });
    return { status: 202, body: { accepted: true, action: act, next: act === 'SUBMIT' ? 'GET /v1/gateway until ready is true' : 'POST again with the code you receive' } };
  },
});
