// A local EventBridge Scheduler: runs `at(...)`, `rate(...)` and `cron(...)` schedules in each schedule's time
// zone and invokes the target with the schedule's input.
//
// Expressions are checked by the same validator the CDK configuration uses (cdk/schedule-expression.ts), so
// the local stack refuses exactly what AWS would refuse. Next run times come from croner through a small
// adapter: AWS's cron dialect is Quartz-like (day-of-week 1 = Sunday, `?`, `6L` for "last Friday"), croner
// takes it with `alternativeWeekdays` and a few spellings changed (below). Like AWS, runs have minute precision.
import { Cron } from 'croner';
import { CRON_FIELDS, parseScheduleExpression, ScheduleExpressionError, type ParsedScheduleExpression } from '../../cdk/schedule-expression.js';

export { ScheduleExpressionError };

export interface LocalSchedule {
  name: string;
  expression: string;
  timeZone: string;
  enabled: boolean;
  input: unknown;
  invoke: (input: unknown) => Promise<unknown>;
}

export interface CompiledSchedule {
  /** The first run time strictly after `after`, given the previous run (rate schedules count from it); null when none is left. */
  nextRun(after: Date, last: Date | null): Date | null;
  /** Whether a run is due in the minute that starts at `t` (seconds are ignored). */
  due(t: Date, last: Date | null): boolean;
}

const floorMinute = (t: Date) => new Date(t.getTime() - (t.getTime() % 60_000));

/** AWS cron fields → croner's 7-part pattern (seconds first, year last; day-of-week 1 = Sunday). */
function cronerPattern(c: Extract<ParsedScheduleExpression, { kind: 'cron' }>): string {
  const dom = c.dayOfMonth === '?' ? '*' : c.dayOfMonth;
  let dow = c.dayOfWeek === '?' ? '*' : c.dayOfWeek;
  // AWS `L` alone in day-of-week is the last day of the week (Saturday, 7); `nL` is the last weekday n of the
  // month, which croner spells `n#L`.
  if (dow === 'L') dow = '7';
  else dow = dow.replace(/^([A-Za-z]{3}|\d+)L$/, '$1#L');
  // AWS `n/step` starts at n and runs to the field's end; croner wants that range spelled out (`n-max/step`).
  const fromStart = (text: string, max: number) => text.split(',').map((part) => part.replace(/^(\d+|[A-Za-z]{3})\/(\d+)$/, `$1-${max}/$2`)).join(',');
  const f = CRON_FIELDS;
  return `0 ${fromStart(c.minutes, f.minutes.max)} ${fromStart(c.hours, f.hours.max)} ${fromStart(dom, f.dayOfMonth.max)} ${fromStart(c.month, f.month.max)} ${dow} ${fromStart(c.year, f.year.max)}`;
}

/**
 * Compiles an expression for `timeZone` (an IANA name), or throws ScheduleExpressionError naming the problem.
 * `at()` runs once at its wall-clock time; `rate()` runs at once and then every period after the previous run
 * (AWS starts a rate schedule without a StartDate immediately).
 */
export function compileScheduleExpression(expression: string, timeZone: string): CompiledSchedule {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind === 'rate') {
    const nextRun = (after: Date, last: Date | null) =>
      last === null ? floorMinute(new Date(after.getTime() + 60_000)) : new Date(Math.max(last.getTime() + parsed.periodMs, floorMinute(after).getTime() + 60_000));
    return { nextRun, due: (t, last) => last === null || floorMinute(t).getTime() - last.getTime() >= parsed.periodMs };
  }
  let cron: Cron;
  try {
    // Throws RangeError for a name that is not an IANA time zone (croner would silently misread it).
    new Intl.DateTimeFormat('en-US', { timeZone });
    if (parsed.kind === 'at') {
      const p2 = (n: number) => String(n).padStart(2, '0');
      // Seconds dropped: Scheduler invokes with minute precision.
      const local = `${parsed.year}-${p2(parsed.month)}-${p2(parsed.day)}T${p2(parsed.hour)}:${p2(parsed.minute)}:00`;
      cron = new Cron(local, { timezone: timeZone, paused: true });
    } else {
      cron = new Cron(cronerPattern(parsed), { timezone: timeZone, mode: '7-part', alternativeWeekdays: true, domAndDow: true, paused: true });
    }
  } catch (err) {
    // A valid expression croner cannot take, or an unknown time zone.
    throw new ScheduleExpressionError(`${expression} in ${timeZone}: ${(err as Error).message}`);
  }
  const nextRun = (after: Date) => cron.nextRun(after);
  return {
    nextRun,
    due: (t) => {
      const minute = floorMinute(t);
      return nextRun(new Date(minute.getTime() - 1))?.getTime() === minute.getTime();
    },
  };
}

/** The next `count` run times after `from` (a schedule that has not run yet). */
export function nextRunTimes(expression: string, timeZone: string, from: Date, count: number): Date[] {
  const c = compileScheduleExpression(expression, timeZone);
  const out: Date[] = [];
  let after = from;
  let last: Date | null = null;
  while (out.length < count) {
    const next = c.nextRun(after, last);
    if (next === null) break;
    out.push(next);
    after = next;
    last = next;
  }
  return out;
}

export interface SchedulerHandle {
  stop(): void;
  runs: { name: string; at: string; ok: boolean; result?: unknown; error?: string }[];
}

/** Checks every schedule once a minute (just after the top of the minute) and runs those that are due. */
export function startScheduler(schedules: LocalSchedule[], log: (msg: string) => void): SchedulerHandle {
  const compiled = schedules.filter((s) => s.enabled).map((s) => ({ s, c: compileScheduleExpression(s.expression, s.timeZone), last: null as Date | null }));
  const started = new Date();
  for (const x of compiled) {
    const next = x.c.nextRun(started, null);
    log(next === null ? `schedule ${x.s.name} (${x.s.expression}) has no run left after ${started.toISOString()}` : `schedule ${x.s.name} (${x.s.expression}, ${x.s.timeZone}) next runs at ${next.toISOString()}`);
  }
  const runs: SchedulerHandle['runs'] = [];
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    const now = floorMinute(new Date());
    for (const x of compiled) {
      if (!x.c.due(now, x.last)) continue;
      x.last = now;
      x.s.invoke({ ...(x.s.input as object), schedule: x.s.name, scheduledTime: now.toISOString() }).then(
        (result) => {
          runs.push({ name: x.s.name, at: now.toISOString(), ok: true, result });
          log(`schedule ${x.s.name} ran: ${JSON.stringify(result).slice(0, 200)}`);
        },
        (err: Error) => {
          runs.push({ name: x.s.name, at: now.toISOString(), ok: false, error: err.message });
          log(`schedule ${x.s.name} failed: ${err.message}`);
        },
      );
    }
    timer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
    timer.unref();
  };
  timer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
  timer.unref();
  return { stop: () => timer && clearTimeout(timer), runs };
}
