/**
 * What the relay keeps subscribed — `[{"codes":["HK.00700"],"types":["BASIC","TICKER"]}]` — as one zod schema,
 * shared by the deployment configuration (cdk/config-schema.ts, key `subscriptions`) and the relay
 * (`RELAY_SUBSCRIPTIONS`), so a value the CDK app accepts is exactly a value the relay accepts. Also the small
 * zod helpers both use to word an error as "<where>: expected <what is allowed>, got <value>".
 *
 * Layering: imports only proto/ and zod, so cdk/ may import it and the relay bundle does not pull in cdk/.
 */
import { z } from 'zod';
import { ValidationError } from '../proto/errors.js';
import { parseSecurity } from '../proto/securities.js';

/** Qot_Common.SubType names without NONE (test/infra/definitions.test.ts checks the list against the protocol). */
export const SUB_TYPES = [
  'BASIC',
  'ORDER_BOOK',
  'TICKER',
  'RT',
  'KL_DAY',
  'KL_5MIN',
  'KL_15MIN',
  'KL_30MIN',
  'KL_60MIN',
  'KL_1MIN',
  'KL_WEEK',
  'KL_MONTH',
  'BROKER',
  'KL_QURATER',
  'KL_YEAR',
  'KL_3MIN',
  'KL_10MIN',
  'KL_120MIN',
  'KL_180MIN',
  'KL_240MIN',
  'ORDER_BOOK_ODD',
] as const;
export type SubTypeName = (typeof SUB_TYPES)[number];

/** A value for an error message: JSON, cut short so a pasted blob does not flood the log. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** zod's error option for a schema whose every failure reads "expected <what>, got <the value>". */
export function expected(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `expected ${what}, got ${show(issue.input)}` };
}

/** An object with exactly these fields: an unknown field is named together with the allowed ones. */
export function strictFields<S extends z.ZodRawShape>(shape: S, what: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}; allowed: ${allowed}` : `expected ${what}, got ${show(issue.input)}`,
  });
}

/** `[0].codes[1]` from zod's path `[0, 'codes', 1]` (a leading name gets a dot too: `.schedules.dcaHk`). */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * A security code, normalised to its canonical key (`"hk.00700"` → `"HK.00700"`). The rule is the typed
 * client's (`parseSecurity`: a known market prefix and that market's code format), so a configured code is one
 * the relay can subscribe.
 */
export const securityCode = z.string(expected('a security like "HK.00700" or "US.AAPL"')).transform((code, ctx) => {
  try {
    return parseSecurity(code).key;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const reason = err.message.slice(err.field.length + 2);
    ctx.issues.push({ code: 'custom', input: code, message: `${show(code)} is not a security like "HK.00700" or "US.AAPL" (${reason})` });
    return z.NEVER;
  }
});

const EXAMPLE = '[{"codes":["HK.00700"],"types":["BASIC","TICKER"]}]';

/** One subscription: every code × every type. */
export const subscriptionSchema = strictFields(
  {
    codes: z.array(securityCode, expected(`a list of securities, like ${EXAMPLE}`)).min(1, `needs at least one code, like ${EXAMPLE}`),
    types: z.array(z.enum(SUB_TYPES, expected(`one of ${SUB_TYPES.join(', ')}`)), expected(`a list of types, like ${EXAMPLE}`)).min(1, `needs at least one type, like ${EXAMPLE}`),
  },
  `an object like ${EXAMPLE.slice(1, -1)}`,
);

export const subscriptionsSchema = z.array(subscriptionSchema, expected(`a list like ${EXAMPLE}`));

export type Subscription = z.output<typeof subscriptionSchema>;

/** The first problem of a failed parse as one sentence: "<where><path>: <message>". */
export function firstProblem(error: z.ZodError, where: string): string {
  const issue = error.issues[0]!;
  return `${where}${pathText(issue.path)}: ${issue.message}`;
}

/**
 * `RELAY_SUBSCRIPTIONS`: unset or blank means none. Throws an Error naming the variable, the element and what
 * is allowed.
 */
export function parseSubscriptionsJson(raw: string | undefined, name = 'RELAY_SUBSCRIPTIONS'): Subscription[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${name} is not JSON (${(err as Error).message}); give a list like ${EXAMPLE}`);
  }
  const result = subscriptionsSchema.safeParse(value);
  if (!result.success) throw new Error(firstProblem(result.error, name));
  return result.data;
}
