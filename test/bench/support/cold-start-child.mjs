// One cold start in a fresh Node process (plain JavaScript, run by `node` itself: no loader in the way).
// argv: <module file> [<handler export> <event JSON file> <function name>]. Times the import of the module and,
// given a handler, its first invocation; prints one JSON line { importMs, totalMs, cpuMs, outcome } and exits (an open
// OpenD socket or SDK keep-alive would otherwise hold the process).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [file, handlerName, eventFile, functionName = 'bench'] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t0 = performance.now();
const mod = await import(pathToFileURL(file).href);
const t1 = performance.now();
let outcome = 'import only';
if (handlerName) {
  const event = JSON.parse(readFileSync(eventFile, 'utf8'));
  const deadline = Date.now() + 30_000;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'cold-start',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const r = await mod[handlerName](event, context);
    outcome = r && typeof r === 'object' && 'statusCode' in r ? `HTTP ${r.statusCode}` : JSON.stringify(r ?? null).slice(0, 60);
  } catch (err) {
    outcome = `threw: ${String(err?.message ?? err).slice(0, 80)}`;
  }
}
const t2 = performance.now();
// CPU time of this process over the same span: what the machine's load does not inflate (waits on I/O excluded).
const cpu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ importMs: t1 - t0, totalMs: t2 - t0, cpuMs: (cpu.user + cpu.system) / 1000, outcome }) + '\n');
process.exit(0);
