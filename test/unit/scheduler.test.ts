import { describe, expect, it } from 'vitest';
import { compileScheduleExpression, ScheduleExpressionError } from '../../bin/local/scheduler.js';

describe('local scheduler expressions', () => {
  it('fires a weekday 10:00 cron in the schedule time zone, not in UTC', () => {
    const c = compileScheduleExpression('cron(0 10 ? * MON-FRI *)', 'Asia/Hong_Kong');
    expect(c.due(new Date('2026-11-25T02:00:00Z'), null)).toBe(true); // Wed 10:00 HKT
    expect(c.due(new Date('2026-11-25T10:00:00Z'), null)).toBe(false); // 18:00 HKT
    expect(c.due(new Date('2026-11-28T02:00:00Z'), null)).toBe(false); // Saturday
  });
  it('handles daylight saving time in New York', () => {
    const c = compileScheduleExpression('cron(30 9 ? * MON-FRI *)', 'America/New_York');
    expect(c.due(new Date('2026-07-01T13:30:00Z'), null)).toBe(true); // EDT
    expect(c.due(new Date('2026-12-01T14:30:00Z'), null)).toBe(true); // EST
  });
  it('supports lists, ranges and steps', () => {
    const c = compileScheduleExpression('cron(0/15 9-11,14 * * ? *)', 'UTC');
    expect(c.due(new Date('2026-11-25T09:45:00Z'), null)).toBe(true);
    expect(c.due(new Date('2026-11-25T14:00:00Z'), null)).toBe(true);
    expect(c.due(new Date('2026-11-25T12:00:00Z'), null)).toBe(false);
    expect(c.due(new Date('2026-11-25T09:50:00Z'), null)).toBe(false);
  });
  it('runs rate() schedules once per period', () => {
    const c = compileScheduleExpression('rate(5 minutes)', 'UTC');
    const t0 = new Date('2026-11-25T00:00:00Z');
    expect(c.due(t0, null)).toBe(true);
    expect(c.due(new Date(t0.getTime() + 4 * 60_000), t0)).toBe(false);
    expect(c.due(new Date(t0.getTime() + 5 * 60_000), t0)).toBe(true);
  });
  it('rejects malformed expressions with a reason', () => {
    expect(() => compileScheduleExpression('cron(0 10 * *)', 'UTC')).toThrow(ScheduleExpressionError);
    expect(() => compileScheduleExpression('cron(61 10 ? * * *)', 'UTC')).toThrow(/minute/);
    expect(() => compileScheduleExpression('every day', 'UTC')).toThrow(/neither cron/);
  });
});
