// Scheduled strategy (EventBridge Scheduler → this function): dollar-cost averaging with a dry-run switch.
import middy from '@middy/core';
import { runDca, type DcaResult } from '../lib/dca-strategy.js';
import { runtime } from '../lib/runtime.js';

async function run(input: unknown): Promise<DcaResult> {
  const rt = runtime();
  const session = await rt.openD.get();
  const result = await runDca(input, { idempotency: rt.idempotency, limiter: rt.limiter, openD: () => rt.openD.get(), log: rt.log, directory: rt.directory, session, pendingStaleMs: rt.config.pendingStaleMs });
  rt.log.info('dca run', { action: result.action, security: result.security, qty: result.qty, limitPrice: result.limitPrice, reason: result.reason });
  return result;
}

export const handler = middy(run);
