// Settings the order-safety fixes depend on, as the synthesized template carries them: the quotes function keeps
// the relay's subscription quota free (QUOTE_SUBSCRIPTION_RESERVE derived from `subscriptions`), the gateway's
// relay writes its checkpoint explicitly onto the EFS state volume, and the scheduled strategy gets the callers and
// risk limits it is checked against.
import { describe, expect, it } from 'vitest';
import { GATEWAY } from '../../cdk/definitions.js';
import { RELAY_CHECKPOINT_ENV } from '../../cdk/constructs/gateway.js';
import { QUOTE_RESERVE_MARGIN, quoteSubscriptionReserve, relayQuotaUnits } from '../../cdk/quote-reserve.js';
import { QUOTE_RESERVE_ENV, quoteReserveFromEnv } from '../../functions/lib/quote-subscriptions.js';
import { DEFAULT_CALLERS, SECURITY_ENV } from '../../functions/lib/security-config.js';
import { defaultCheckpointPath } from '../../gateway-container/relay/checkpoint.js';
import { logicalId, synthesize, type Synthesized } from './synth.js';

function functionVars(s: Synthesized, id: 'quotes' | 'strategyDca' | 'orders'): Record<string, string> {
  const fn = s.template.findResources('AWS::Lambda::Function')[logicalId(s.stack.functions.functions[id])]!;
  return fn['Properties']['Environment']['Variables'] as Record<string, string>;
}

function gatewayEnv(s: Synthesized): Record<string, string> {
  const [task] = Object.values(s.template.findResources('AWS::ECS::TaskDefinition'));
  const container = (task!['Properties']['ContainerDefinitions'] as Record<string, unknown>[])[0]!;
  return Object.fromEntries((container['Environment'] as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]));
}

function gatewayMounts(s: Synthesized): { SourceVolume: string; ContainerPath: string }[] {
  const [task] = Object.values(s.template.findResources('AWS::ECS::TaskDefinition'));
  return (task!['Properties']['ContainerDefinitions'] as Record<string, unknown>[])[0]!['MountPoints'] as { SourceVolume: string; ContainerPath: string }[];
}

const SUBSCRIPTIONS = [
  { codes: ['HK.00700', 'HK.09988'], types: ['BASIC', 'TICKER'] },
  // HK.00700 BASIC again: a pair held once takes one unit (Futu counts per security and type).
  { codes: ['HK.00700', 'US.AAPL'], types: ['BASIC', 'ORDER_BOOK'] },
] as const;

describe('quote subscription reserve', () => {
  it('counts the relay\'s distinct (code, type) pairs and adds the margin', () => {
    expect(relayQuotaUnits([])).toBe(0);
    expect(relayQuotaUnits(SUBSCRIPTIONS.map((s) => ({ codes: [...s.codes], types: [...s.types] })))).toBe(7);
    expect(quoteSubscriptionReserve([{ codes: ['HK.00700'], types: ['BASIC'] }])).toBe(1 + QUOTE_RESERVE_MARGIN);
  });

  it('is set on the quotes function from the configured subscriptions, as a value the function accepts', () => {
    const s = synthesize({ subscriptions: SUBSCRIPTIONS.map((x) => ({ codes: [...x.codes], types: [...x.types] })) } as never);
    const vars = functionVars(s, 'quotes');
    expect(vars[QUOTE_RESERVE_ENV]).toBe(String(7 + QUOTE_RESERVE_MARGIN));
    expect(quoteReserveFromEnv(vars)).toBe(7 + QUOTE_RESERVE_MARGIN);
    expect(functionVars(s, 'orders')[QUOTE_RESERVE_ENV]).toBeUndefined();
  });

  it('is the margin alone when the relay subscribes nothing', () => {
    expect(functionVars(synthesize({}), 'quotes')[QUOTE_RESERVE_ENV]).toBe(String(QUOTE_RESERVE_MARGIN));
  });
});

describe('relay checkpoint on the EFS state volume', () => {
  for (const brand of ['futu', 'moomoo'] as const) {
    it(`sets ${RELAY_CHECKPOINT_ENV} to a file in the EFS-mounted state dir (${brand})`, () => {
      const s = synthesize({ brand } as never);
      const file = gatewayEnv(s)[RELAY_CHECKPOINT_ENV]!;
      expect(file).toBe(`${GATEWAY.stateDirs[brand]}/opend-cloud-relay-checkpoint.json`);
      // The relay's own default, spelled out: same file, no dependence on HOME inside the image.
      expect(file).toBe(defaultCheckpointPath('/home/opend', brand));
      const mount = gatewayMounts(s).find((m) => file.startsWith(`${m.ContainerPath}/`));
      expect(mount?.SourceVolume).toBe('opend-state');
      const [task] = Object.values(s.template.findResources('AWS::ECS::TaskDefinition'));
      const volume = (task!['Properties']['Volumes'] as { Name: string; EFSVolumeConfiguration?: unknown }[]).find((v) => v.Name === 'opend-state');
      expect(volume?.EFSVolumeConfiguration).toBeDefined();
    });
  }
});

describe('the scheduled strategy is configured like a caller', () => {
  it('gets the callers and risk limits it is checked against (its cold start refuses to run without them)', () => {
    const vars = functionVars(synthesize({}), 'strategyDca');
    expect(JSON.parse(vars[SECURITY_ENV.callers]!)).toEqual(DEFAULT_CALLERS);
    expect(JSON.parse(vars[SECURITY_ENV.riskLimits]!)).toHaveProperty('default');
  });
});
