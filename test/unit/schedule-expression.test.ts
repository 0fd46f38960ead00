import { describe, expect, it } from 'vitest';
import { parseScheduleExpression, scheduleExpressionProblem, ScheduleExpressionError } from '../../cdk/schedule-expression.js';
import { SCHEDULES } from '../../cdk/definitions.js';
import { loadConfig } from '../../cdk/config-schema.js';
import { compileScheduleExpression, nextRunTimes, startScheduler } from '../../bin/local/scheduler.js';

// Expressions from AWS's documentation (EventBridge "Cron expressions reference" examples, the EventBridge
// Scheduler "Schedule types" page, and the rules those pages state), each with what AWS does with it.
const ACCEPTED = [
  'cron(0 10 * * ? *)', // 10:00 every day
  'cron(15 12 * * ? *)', // 12:15 every day
  'cron(0 18 ? * MON-FRI *)', // 18:00 Monday to Friday
  'cron(0 8 1 * ? *)', // 08:00 on the first day of the month
  'cron(0/15 * * * ? *)', // every 15 minutes
  'cron(0/10 * ? * MON-FRI *)', // every 10 minutes, Monday to Friday
  'cron(0/5 8-17 ? * MON-FRI *)', // every 5 minutes 08:00-17:55, Monday to Friday
  'cron(0/30 20-23 ? * MON-FRI *)', // every 30 minutes in the evening
  'cron(15 10 ? * 6L 2019-2022)', // 10:15 on the last Friday of each month, 2019-2022
  'cron(0 9 ? * 3#2 *)', // the second Tuesday ("3#2" in the # wildcard's description)
  'cron(0 9 3W * ? *)', // the weekday nearest the 3rd ("3W")
  'cron(0 9 L * ? *)', // the last day of the month
  'cron(0 12 ? JAN,FEB,MAR * *)', // names in a list (the comma wildcard's example)
  'cron(1/10 * 1-15 * ? *)', // every tenth minute from minute 1, days 1-15
  'rate(5 minutes)',
  'rate(1 minute)',
  'rate(1 hour)',
  'rate(12 hours)',
  'rate(1 day)',
  'rate(7 days)',
  'at(2022-11-20T13:00:00)',
  'at(2028-02-29T23:59:59)',
];

const REJECTED: [string, RegExp][] = [
  ['cron(0 10 15 * MON *)', /exactly one of day-of-month .* and day-of-week/], // both day fields given
  ['cron(0 10 * * * *)', /exactly one of/], // "*" in both day fields
  ['cron(0 10 ? * ? *)', /exactly one of/], // "?" in both day fields
  ['cron(0 10 * * ?)', /6 fields .* got 5/],
  ['cron(0 0 10 * * ? *)', /6 fields .* got 7/], // a Quartz seconds field
  ['cron(60 10 * * ? *)', /minutes "60" is not 0-59/],
  ['cron(0 24 * * ? *)', /hours "24" is not 0-23/],
  ['cron(0 10 32 * ? *)', /day-of-month "32" is not 1-31/],
  ['cron(0 10 * 13 ? *)', /month "13" is not 1-12 or JAN-DEC/],
  ['cron(0 10 ? * 8 *)', /day-of-week "8" is not 1-7 or SUN-SAT/],
  ['cron(0 10 ? * 0 *)', /day-of-week "0" is not 1-7/], // Sunday is 1, not 0
  ['cron(0 10 * * ? 2200)', /year "2200" is not 1970-2199/],
  ['cron(0 10 ? * 3#1,6#3 *)', /"#" takes exactly one day/], // AWS's own invalid example
  ['cron(0 10 ? * MON/2 *)', /day-of-week does not take "\/"/],
  ['cron(0 10 ? * 2W *)', /W belongs to day-of-month/],
  ['cron(0 10 3#2 * ? *)', /# belongs to day-of-week/],
  ['cron(0 L * * ? *)', /hours "L" may hold 0-23/],
  ['cron(0 10 * FOO ? *)', /month "FOO" is not 1-12 or JAN-DEC/],
  ['cron(0 10 20-10 * ? *)', /runs backwards/],
  ['cron(0/0 10 * * ? *)', /step "0" must be a positive whole number/],
  ['rate(1 minutes)', /with 1 the unit is "minute"/],
  ['rate(5 minute)', /with 5 the unit is "minutes"/],
  ['rate(0 minutes)', /positive whole number/],
  ['rate(30 seconds)', /unit "seconds" is not minute\(s\), hour\(s\) or day\(s\)/],
  ['rate(1.5 hours)', /"value unit"/],
  ['at(2022-11-20 13:00:00)', /yyyy-mm-ddThh:mm:ss/],
  ['at(2022-11-20T13:00:00Z)', /no offset or zone/],
  ['at(2027-02-29T10:00:00)', /not a date and time that exists/],
  ['every day at ten', /neither cron/],
];

describe('EventBridge Scheduler expressions (one validator for CDK and the local stack)', () => {
  it.each(ACCEPTED)('accepts %s as AWS does', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
    expect(() => compileScheduleExpression(expression, 'Asia/Hong_Kong')).not.toThrow();
  });

  it.each(REJECTED)('rejects %s with a reason', (expression, reason) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
    expect(scheduleExpressionProblem(expression)).toMatch(reason);
    // The local scheduler refuses the same expression, for the same reason.
    expect(() => compileScheduleExpression(expression, 'UTC')).toThrow(reason);
  });

  it('accepts every built-in schedule', () => {
    for (const [name, s] of Object.entries(SCHEDULES)) expect(scheduleExpressionProblem(s.expression), name).toBeUndefined();
  });

  it('makes the deployment configuration name the schedule and the rule it breaks', () => {
    const load = (expression: string) => loadConfig({ schedules: { dcaHk: { expression } } });
    expect(() => load('cron(0 10 15 * MON *)')).toThrow(/schedules\.dcaHk\.expression.*exactly one of day-of-month/);
    expect(() => load('rate(1 minutes)')).toThrow(/schedules\.dcaHk\.expression.*singular for 1/);
    expect(load('at(2030-01-02T09:30:00)').schedules['dcaHk']?.expression).toBe('at(2030-01-02T09:30:00)');
  });
});

describe('local scheduler next run times', () => {
  const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

  it('runs an at() schedule once, at its wall-clock time in the schedule time zone', () => {
    const c = compileScheduleExpression('at(2030-01-02T09:30:00)', 'Asia/Hong_Kong');
    expect(c.nextRun(new Date('2030-01-01T00:00:00Z'), null)?.toISOString()).toBe('2030-01-02T01:30:00.000Z');
    expect(c.due(new Date('2030-01-02T01:30:00Z'), null)).toBe(true);
    expect(c.due(new Date('2030-01-02T01:31:00Z'), null)).toBe(false);
    expect(c.nextRun(new Date('2030-01-02T01:30:00Z'), null)).toBeNull();
    expect(nextRunTimes('at(2030-01-02T09:30:00)', 'Asia/Hong_Kong', new Date('2029-12-31T00:00:00Z'), 3)).toHaveLength(1);
  });

  it('follows weekdays and daylight saving time for a New York open', () => {
    // Friday 6 March 2026 (EST, UTC-5), then Monday 9 March, after the switch to EDT (UTC-4) on Sunday 8 March.
    expect(iso(nextRunTimes('cron(30 9 ? * MON-FRI *)', 'America/New_York', new Date('2026-03-06T12:00:00Z'), 3))).toEqual([
      '2026-03-06T14:30:00.000Z',
      '2026-03-09T13:30:00.000Z',
      '2026-03-10T13:30:00.000Z',
    ]);
  });

  it('numbers days of the week from Sunday = 1, as AWS does', () => {
    // 2 = Monday: 30 Nov 2026 is a Monday.
    expect(iso(nextRunTimes('cron(0 10 ? * 2 *)', 'UTC', new Date('2026-11-25T00:00:00Z'), 2))).toEqual([
      '2026-11-30T10:00:00.000Z',
      '2026-12-07T10:00:00.000Z',
    ]);
  });

  it('finds the last Friday, the second Tuesday, the nearest weekday and the last day of a month', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(iso(nextRunTimes('cron(15 10 ? * 6L *)', 'UTC', from, 2))).toEqual(['2026-01-30T10:15:00.000Z', '2026-02-27T10:15:00.000Z']);
    expect(iso(nextRunTimes('cron(0 9 ? * 3#2 *)', 'UTC', from, 1))).toEqual(['2026-01-13T09:00:00.000Z']);
    // 3 January 2026 is a Saturday: the nearest weekday is Friday the 2nd.
    expect(iso(nextRunTimes('cron(0 9 3W * ? *)', 'UTC', from, 1))).toEqual(['2026-01-02T09:00:00.000Z']);
    expect(iso(nextRunTimes('cron(0 9 L * ? *)', 'UTC', new Date('2028-02-01T00:00:00Z'), 1))).toEqual(['2028-02-29T09:00:00.000Z']);
  });

  it('stops a cron schedule at the end of its year range', () => {
    expect(nextRunTimes('cron(0 10 1 * ? 2026)', 'UTC', new Date('2026-11-15T00:00:00Z'), 5)).toHaveLength(1);
  });

  it('runs a rate() schedule at once and then every period after the previous run', () => {
    const start = new Date('2026-11-25T00:00:30Z');
    expect(iso(nextRunTimes('rate(1 hour)', 'UTC', start, 3))).toEqual([
      '2026-11-25T00:01:00.000Z',
      '2026-11-25T01:01:00.000Z',
      '2026-11-25T02:01:00.000Z',
    ]);
  });

  it('starts the local scheduler with at(), rate() and cron() schedules and says when each runs next', () => {
    const lines: string[] = [];
    const invoke = async () => ({ ok: true });
    const handle = startScheduler(
      [
        { name: 'once', expression: 'at(2099-01-02T09:30:00)', timeZone: 'Asia/Hong_Kong', enabled: true, input: {}, invoke },
        { name: 'past', expression: 'at(2020-01-02T09:30:00)', timeZone: 'UTC', enabled: true, input: {}, invoke },
        { name: 'often', expression: 'rate(5 minutes)', timeZone: 'UTC', enabled: true, input: {}, invoke },
        { name: 'open', expression: 'cron(30 9 ? * MON-FRI *)', timeZone: 'America/New_York', enabled: true, input: {}, invoke },
        { name: 'off', expression: 'cron(0 10 * * ? *)', timeZone: 'UTC', enabled: false, input: {}, invoke },
      ],
      (m) => lines.push(m),
    );
    handle.stop();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('schedule once (at(2099-01-02T09:30:00), Asia/Hong_Kong) next runs at 2099-01-02T01:30:00.000Z');
    expect(lines[1]).toMatch(/^schedule past \(at\(2020-01-02T09:30:00\)\) has no run left/);
    expect(lines[2]).toMatch(/^schedule often \(rate\(5 minutes\), UTC\) next runs at /);
    expect(lines[3]).toMatch(/^schedule open \(cron\(30 9 \? \* MON-FRI \*\), America\/New_York\) next runs at \d{4}-\d\d-\d\dT1[34]:30:00\.000Z$/);
    expect(handle.runs).toEqual([]);
  });

  it('refuses an unknown time zone with the schedule named', () => {
    expect(() => compileScheduleExpression('cron(0 10 * * ? *)', 'Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
  });
});
