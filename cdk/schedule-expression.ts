/**
 * The one validator for EventBridge Scheduler expressions, used by the CDK configuration check
 * (`cdk/config-schema.ts`) and by the local scheduler (`bin/local/scheduler.ts`), so an expression the local
 * stack runs is one AWS would accept, and the other way round.
 *
 * AWS's rules (EventBridge Scheduler user guide, "Schedule types"; EventBridge user guide, "Cron expressions
 * reference"):
 * - `at(yyyy-mm-ddThh:mm:ss)`: one run, at a wall-clock time in the schedule's time zone.
 * - `rate(value unit)`: value a positive integer; unit minute|minutes|hour|hours|day|days, singular when the
 *   value is 1 and plural otherwise (`rate(1 minutes)` and `rate(5 minute)` are rejected).
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields.
 *     minutes 0-59 `, - * /` · hours 0-23 `, - * /` · day-of-month 1-31 `, - * ? / L W` ·
 *     month 1-12 or JAN-DEC `, - * /` · day-of-week 1-7 (1 = Sunday) or SUN-SAT `, - * ? L #` ·
 *     year 1970-2199 `, - * /`.
 *   Day-of-month and day-of-week cannot both be given: exactly one of them is `?` (`cron(0 10 15 * MON *)` and
 *   `cron(0 10 * * * *)` are rejected). With `#`, the day-of-week field holds that one expression only
 *   (`3#1,6#3` is rejected).
 *
 * Imports nothing: the parsed form is what the local scheduler turns into next run times.
 */

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

export type RateUnit = 'minute' | 'hour' | 'day';

export type ParsedScheduleExpression =
  /** Wall-clock fields in the schedule's time zone (no offset: AWS applies ScheduleExpressionTimezone). */
  | { kind: 'at'; year: number; month: number; day: number; hour: number; minute: number; second: number }
  | { kind: 'rate'; value: number; unit: RateUnit; periodMs: number }
  | { kind: 'cron'; minutes: string; hours: string; dayOfMonth: string; month: string; dayOfWeek: string; year: string };

const UNIT_MS: Record<RateUnit, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
/** Index + 1 is AWS's day-of-week number: 1 = SUN … 7 = SAT. */
export const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The special characters this field takes beyond `, - *` (from AWS's table). */
  slash: boolean;
  question: boolean;
}

/** AWS's cron fields, in order: ranges and the special characters each takes. */
export const CRON_FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59, slash: true, question: false },
  hours: { name: 'hours', min: 0, max: 23, slash: true, question: false },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31, slash: true, question: true },
  month: { name: 'month', min: 1, max: 12, names: MONTH_NAMES, slash: true, question: false },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, slash: false, question: true },
  year: { name: 'year', min: 1970, max: 2199, slash: true, question: false },
} satisfies Record<string, FieldSpec>;

function allowedValues(spec: FieldSpec): string {
  return `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''}`;
}

function value(text: string, spec: FieldSpec, expression: string): number {
  const byName = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = byName >= 0 ? byName + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
    throw new ScheduleExpressionError(`${expression}: ${spec.name} "${text}" is not ${allowedValues(spec)}`);
  }
  return n;
}

/** `*`, `v`, `a-b`, each optionally `/step` where the field allows it; comma-separated lists of those. */
function checkPlainField(text: string, spec: FieldSpec, expression: string): void {
  for (const part of text.split(',')) {
    if (part === '') throw new ScheduleExpressionError(`${expression}: ${spec.name} "${text}" has an empty list item`);
    const [range, step, extra] = part.split('/') as [string, string | undefined, string | undefined];
    if (extra !== undefined) throw new ScheduleExpressionError(`${expression}: ${spec.name} "${part}" has more than one "/"`);
    if (step !== undefined) {
      if (!spec.slash) throw new ScheduleExpressionError(`${expression}: ${spec.name} does not take "/" (AWS allows , - * ? L # there)`);
      if (!/^\d+$/.test(step) || Number(step) < 1) {
        throw new ScheduleExpressionError(`${expression}: ${spec.name} step "${step}" must be a positive whole number`);
      }
    }
    if (range === '*') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) throw new ScheduleExpressionError(`${expression}: ${spec.name} range "${range}" has more than one "-"`);
    const [lo, hi] = bounds.map((b) => value(b, spec, expression)) as [number, number | undefined];
    if (hi !== undefined && hi < lo) throw new ScheduleExpressionError(`${expression}: ${spec.name} range "${range}" runs backwards`);
  }
}

function checkDayOfMonth(text: string, expression: string): void {
  const spec = CRON_FIELDS.dayOfMonth;
  if (text === '?' || text === 'L') return;
  // `nW`: the weekday nearest day n; one day only, as AWS's "3W" example.
  const w = /^(\d+)W$/.exec(text);
  if (w) return void value(w[1]!, spec, expression);
  if (/[LW?#]/.test(text)) {
    throw new ScheduleExpressionError(
      `${expression}: day-of-month "${text}": L stands alone, W follows one day ("15W"), ? stands alone, # belongs to day-of-week`,
    );
  }
  checkPlainField(text, spec, expression);
}

function checkDayOfWeek(text: string, expression: string): void {
  const spec = CRON_FIELDS.dayOfWeek;
  if (text === '?' || text === 'L') return;
  if (text.includes('#')) {
    // AWS: with '#', the day-of-week field holds one expression only ("3#1,6#3" is invalid).
    const m = /^([A-Za-z]{3}|\d+)#(\d+)$/.exec(text);
    if (!m) throw new ScheduleExpressionError(`${expression}: day-of-week "${text}": "#" takes exactly one day and one week number, as "3#2" (second Tuesday)`);
    value(m[1]!, spec, expression);
    const nth = Number(m[2]);
    if (nth < 1 || nth > 5) throw new ScheduleExpressionError(`${expression}: day-of-week "${text}": the week number after "#" is 1-5`);
    return;
  }
  // `nL`: the last day n of the month ("6L" is the last Friday, in AWS's Scheduler examples).
  const last = /^([A-Za-z]{3}|\d+)L$/.exec(text);
  if (last) return void value(last[1]!, spec, expression);
  if (/[LW?]/.test(text.replace(/[A-Za-z]{3}/g, ''))) {
    throw new ScheduleExpressionError(`${expression}: day-of-week "${text}": L stands alone or follows one day ("6L"), ? stands alone, W belongs to day-of-month`);
  }
  checkPlainField(text, spec, expression);
}

function parseAt(body: string, expression: string): ParsedScheduleExpression {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!m) throw new ScheduleExpressionError(`${expression}: at(…) takes a local date and time as yyyy-mm-ddThh:mm:ss, with no offset or zone (the schedule's time zone applies)`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new ScheduleExpressionError(`${expression}: ${body} is not a date and time that exists`);
  }
  return { kind: 'at', year, month, day, hour, minute, second };
}

function parseRate(body: string, expression: string): ParsedScheduleExpression {
  const m = /^(\d+) ([a-z]+)$/.exec(body);
  if (!m) throw new ScheduleExpressionError(`${expression}: rate(…) takes "value unit", as rate(5 minutes) or rate(1 hour)`);
  const value = Number(m[1]);
  const unitText = m[2]!;
  const unit = unitText.replace(/s$/, '') as RateUnit;
  if (!(unit in UNIT_MS)) throw new ScheduleExpressionError(`${expression}: rate unit "${unitText}" is not minute(s), hour(s) or day(s)`);
  if (!Number.isSafeInteger(value) || value < 1) throw new ScheduleExpressionError(`${expression}: rate value must be a positive whole number`);
  // AWS: a value of 1 takes the singular unit, any other value the plural.
  const expected = value === 1 ? unit : `${unit}s`;
  if (unitText !== expected) throw new ScheduleExpressionError(`${expression}: with ${value} the unit is "${expected}" (singular for 1, plural otherwise)`);
  return { kind: 'rate', value, unit, periodMs: value * UNIT_MS[unit] };
}

function parseCron(body: string, expression: string): ParsedScheduleExpression {
  const f = body.trim().split(/\s+/);
  if (f.length !== 6) {
    throw new ScheduleExpressionError(`${expression}: cron(…) takes 6 fields (minutes hours day-of-month month day-of-week year), got ${f.length}`);
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = f as [string, string, string, string, string, string];
  const plain: [string, FieldSpec][] = [[minutes, CRON_FIELDS.minutes], [hours, CRON_FIELDS.hours], [month, CRON_FIELDS.month], [year, CRON_FIELDS.year]];
  for (const [text, spec] of plain) {
    if (/[^0-9A-Za-z,\-*/]/.test(text) || /[A-Za-z]/.test(spec.names ? text.replace(/[A-Za-z]{3}/g, '') : text)) {
      throw new ScheduleExpressionError(`${expression}: ${spec.name} "${text}" may hold ${allowedValues(spec)} with , - * / only`);
    }
    checkPlainField(text, spec, expression);
  }
  // AWS: day-of-month and day-of-week cannot both be given; one of them is '?'.
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleExpressionError(
      `${expression}: exactly one of day-of-month ("${dayOfMonth}") and day-of-week ("${dayOfWeek}") must be "?" — AWS does not take both, as cron(0 10 ? * MON-FRI *) or cron(0 10 15 * ? *)`,
    );
  }
  checkDayOfMonth(dayOfMonth, expression);
  checkDayOfWeek(dayOfWeek, expression);
  return { kind: 'cron', minutes, hours, dayOfMonth, month, dayOfWeek, year };
}

/** Parses an EventBridge Scheduler expression or throws ScheduleExpressionError saying what is wrong and what is allowed. */
export function parseScheduleExpression(expression: string): ParsedScheduleExpression {
  const m = /^(at|rate|cron)\((.*)\)$/.exec(expression);
  if (!m) {
    throw new ScheduleExpressionError(
      `"${expression}" is neither cron(minutes hours day-of-month month day-of-week year), rate(value unit) nor at(yyyy-mm-ddThh:mm:ss) (EventBridge Scheduler syntax)`,
    );
  }
  const body = m[2]!;
  if (m[1] === 'at') return parseAt(body, expression);
  if (m[1] === 'rate') return parseRate(body, expression);
  return parseCron(body, expression);
}

/** The problem with an expression, or undefined when AWS would accept it. */
export function scheduleExpressionProblem(expression: unknown): string | undefined {
  if (typeof expression !== 'string') return 'a schedule expression is a string';
  try {
    parseScheduleExpression(expression);
    return undefined;
  } catch (err) {
    if (err instanceof ScheduleExpressionError) return err.message;
    throw err;
  }
}
