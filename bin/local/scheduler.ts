// A local EventBridge Scheduler: evaluates `cron(...)` and `rate(...)` expressions (EventBridge syntax) in
// each schedule's time zone and invokes the target with the schedule's input.
export interface LocalSchedule {
  name: string;
  expression: string;
  timeZone: string;
  enabled: boolean;
  input: unknown;
  invoke: (input: unknown) => Promise<unknown>;
}

export class ScheduleExpressionError extends Error {}

type FieldMatcher = (v: number) => boolean;

const DOW_NAMES: Record<string, number> = { SUN: 1, MON: 2, TUE: 3, WED: 4, THU: 5, FRI: 6, SAT: 7 };
const MON_NAMES: Record<string, number> = { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 };

function field(text: string, min: number, max: number, names: Record<string, number>, what: string): FieldMatcher {
  if (text === '*' || text === '?') return () => true;
  const parts = text.split(',').map((part) => {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${what}: bad step in "${part}"`);
    const val = (s: string) => {
      const n = names[s.toUpperCase()] ?? Number(s);
      if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleExpressionError(`${what}: "${s}" is not ${min}-${max}${Object.keys(names).length ? ' or a name' : ''}`);
      return n;
    };
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [lo, hi] = [val(a), val(b)];
    } else {
      lo = val(range);
      hi = stepText === undefined ? lo : max;
    }
    return (v: number) => v >= lo && v <= hi && (v - lo) % step === 0;
  });
  return (v) => parts.some((p) => p(v));
}

/** Returns a predicate over a time, or throws ScheduleExpressionError naming the problem. */
export function compileScheduleExpression(expression: string, timeZone: string): { due: (t: Date, last: Date | null) => boolean } {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unitMs = rate[2]!.startsWith('minute') ? 60_000 : rate[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
    return { due: (t, last) => last === null || t.getTime() - last.getTime() >= n * unitMs };
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new ScheduleExpressionError(`"${expression}" is neither cron(...) nor rate(...)`);
  const f = cron[1]!.trim().split(/\s+/);
  if (f.length !== 6) throw new ScheduleExpressionError(`cron needs 6 fields (minute hour day-of-month month day-of-week year), got ${f.length}`);
  if (/[LW#]/.test(f[2]! + f[4]!)) throw new ScheduleExpressionError('L, W and # are not supported by the local scheduler');
  const [mi, ho, dom, mon, dow, yr] = [
    field(f[0]!, 0, 59, {}, 'minute'),
    field(f[1]!, 0, 23, {}, 'hour'),
    field(f[2]!, 1, 31, {}, 'day-of-month'),
    field(f[3]!, 1, 12, MON_NAMES, 'month'),
    field(f[4]!, 1, 7, DOW_NAMES, 'day-of-week'),
    field(f[5]!, 1970, 2199, {}, 'year'),
  ];
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short', hourCycle: 'h23' });
  return {
    due: (t) => {
      const p = Object.fromEntries(fmt.formatToParts(t).map((x) => [x.type, x.value]));
      return mi(Number(p['minute'])) && ho(Number(p['hour'])) && dom(Number(p['day'])) && mon(Number(p['month'])) && dow(DOW_NAMES[String(p['weekday']).toUpperCase()]!) && yr(Number(p['year']));
    },
  };
}

export interface SchedulerHandle {
  stop(): void;
  runs: { name: string; at: string; ok: boolean; result?: unknown; error?: string }[];
}

/** Checks every schedule once a minute (at the top of the minute). */
export function startScheduler(schedules: LocalSchedule[], log: (msg: string) => void): SchedulerHandle {
  const compiled = schedules.filter((s) => s.enabled).map((s) => ({ s, c: compileScheduleExpression(s.expression, s.timeZone), last: null as Date | null }));
  const runs: SchedulerHandle['runs'] = [];
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    const now = new Date();
    now.setSeconds(0, 0);
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
