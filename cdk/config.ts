/**
 * Your deployment's settings. Anything left out keeps its default (`DEFAULT_CONFIG` in cdk/config-schema.ts);
 * anything given as CDK context — the "context" of cdk.json, or `-c key=value` — wins over this file. Keep
 * settings here or in cdk.json, not only in `-c` flags: a flag is gone on the next deploy.
 */
import type { OpenDCloudConfigInput } from './config-schema.js';

export const config: OpenDCloudConfigInput = {
  // brand: 'moomoo',
  // openDMode: 'simulator',          // paper deployment without a Futu account
  // markets: ['HK'],
  // subscriptions: [{ codes: ['HK.00700', 'US.AAPL'], types: ['BASIC', 'TICKER'] }],
  // priceAlerts: [{ security: 'HK.00700', above: 400, below: 300 }],
  // schedules: { dcaHk: { enabled: false }, dcaUs: { enabled: true, input: { strategy: 'dca', security: 'US.QQQ', quantity: 1, trdEnv: 'SIMULATE', dryRun: true } } },
  // alarmEmail: 'you@example.com',
};
