// System protocols: KeepAlive, GetGlobalState, GetUserInfo, Verification, GetDelayStatistics.
// A picture login challenge saves its picture where OpenD does (picture-challenge.ts) when the simulator starts
// with one and whenever a client asks for a new picture (Verification op 1), so the relay can pass it on.
import type * as GetDelayStatistics from '../../../proto/generated/GetDelayStatistics.js';
import type * as GetGlobalState from '../../../proto/generated/GetGlobalState.js';
import type * as GetUserInfo from '../../../proto/generated/GetUserInfo.js';
import type * as Verification from '../../../proto/generated/Verification.js';
import { SimError, type OpenDSimulator } from '../server.js';
import { savePictureChallenge } from '../picture-challenge.js';
import { PROTO_ID } from '../../../proto/registry.js';
import { delayStatisticsC2SProblem } from '../../../proto/api/delay-statistics.js';

export interface SystemDeps {
  marketState(market: 'HK' | 'US' | 'SH' | 'SZ'): number;
  subQuota(): number;
  historyKLQuota(): number;
  /** OpenD's state folder; without it a picture challenge has no picture file. */
  opendStateDir?: string;
}

export function registerSystemHandlers(sim: OpenDSimulator, deps: SystemDeps): void {
  const savePicture = () => {
    const challenge = sim.opts.loginChallenge;
    if (challenge?.type !== 'picture' || deps.opendStateDir === undefined) return;
    const path = savePictureChallenge(deps.opendStateDir, challenge.code);
    sim.log.info('picture verification code saved', { path });
  };
  savePicture();

  sim.handle(PROTO_ID.KeepAlive, ({ conn }) => {
    conn.lastKeepAliveAt = Date.now();
    conn.keepAlives++;
    return { time: BigInt(Math.floor(sim.now() / 1000)) };
  });

  sim.handle(PROTO_ID.GetGlobalState, ({ conn }): GetGlobalState.S2C => {
    const logged = sim.ready;
    const t = sim.now();
    return {
      marketHK: deps.marketState('HK'),
      marketUS: deps.marketState('US'),
      marketSH: deps.marketState('SH'),
      marketSZ: deps.marketState('SZ'),
      marketHKFuture: deps.marketState('HK'),
      qotLogined: logged,
      trdLogined: logged,
      serverVer: sim.opts.serverVer,
      serverBuildNo: 6918,
      time: BigInt(Math.floor(t / 1000)),
      localTime: t / 1000,
      programStatus: { type: sim.programStatus, strExtDesc: logged ? '' : 'waiting for login verification' },
      qotSvrIpAddr: '127.0.0.1',
      trdSvrIpAddr: '127.0.0.1',
      connID: conn.id,
    };
  });

  sim.handle(PROTO_ID.GetUserInfo, (): GetUserInfo.S2C => ({
    nickName: 'simulator',
    apiLevel: 'LV1',
    hkQotRight: 3, // LV2
    usQotRight: 2, // LV1
    cnQotRight: 2,
    isNeedAgreeDisclaimer: false,
    userID: sim.opts.loginUserId,
    updateType: 0,
    subQuota: deps.subQuota(),
    historyKLQuota: deps.historyKLQuota(),
    userAttribution: sim.opts.userAttribution,
  }));

  sim.handle(PROTO_ID.Verification, (_ctx, c2s: Verification.C2S): Verification.S2C => {
    sim.verify(c2s.type, c2s.op, c2s.code);
    // Op 1 asks for a new code: OpenD then saves a new picture (the simulator's shows the same code again).
    if (c2s.type === 1 && c2s.op === 1) savePicture();
    return {};
  });

  // Statistics of what this simulator measured itself (delay-statistics.ts); a bad request is refused, naming the rule.
  sim.handle(PROTO_ID.GetDelayStatistics, (_ctx, c2s: GetDelayStatistics.C2S): GetDelayStatistics.S2C => {
    const problem = delayStatisticsC2SProblem(c2s);
    if (problem) throw new SimError(problem);
    return sim.delays.statistics(c2s);
  });
}
