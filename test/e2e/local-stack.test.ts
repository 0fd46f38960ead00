// `npm start` as a user runs it: a child process, ready banner, an order over HTTP, the Order Update events
// through the local bus into the consumer, the filled order read back, then Ctrl-C and no process left.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { until } from '../support/local-aws.js';
import { alive, descendants, freePort } from '../support/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SIM_HK = '281756480572583411';
let dataDir = '';
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('npm start runs the whole stack: an order flows to FILLED_ALL through the bus into the consumer, and Ctrl-C leaves nothing running', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'local-stack-'));
  const ports = { LOCAL_API_PORT: await freePort(), LOCAL_OPEND_PORT: await freePort(), LOCAL_DYNAMODB_PORT: await freePort(), LOCAL_EVENTBRIDGE_PORT: await freePort(), LOCAL_RELAY_HEALTH_PORT: await freePort() };
  const child = spawn('npm', ['start', '--', '--fresh', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  try {
    await until(() => out.includes('Ctrl-C stops everything.'), 120_000, `the ready banner; output so far:\n${out}`);
    expect(out).toContain(`/v1/accounts/${SIM_HK}/orders`);
    const api = `http://127.0.0.1:${ports.LOCAL_API_PORT}`;

    const placed = await fetch(`${api}/v1/accounts/${SIM_HK}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'e2e-order-1' },
      body: JSON.stringify({ code: 'HK.00700', side: 'BUY', type: 'MARKET', qty: 100 }),
    });
    expect(placed.status).toBe(201);
    const { order } = (await placed.json()) as { order: { orderId: string; clientOrderId: string } };
    expect(order.clientOrderId).toBe('e2e-order-1');

    // The relay publishes the order's pushes; the bus rule delivers them to the order-events consumer.
    await until(async () => {
      const r = (await (await fetch(`${api}/_local/events?detailType=Order%20Update`)).json()) as {
        events: { id: string; detail: { orderId: string; status: string } }[];
        deliveries: { rule: string; eventId: string; outcome: string }[];
      };
      const mine = r.events.filter((e) => e.detail.orderId === order.orderId);
      const filled = mine.find((e) => e.detail.status === 'FILLED_ALL');
      return !!filled && r.deliveries.some((d) => d.rule === 'orderEvents' && d.eventId === filled.id && d.outcome === 'applied');
    }, 30_000, 'the FILLED_ALL Order Update to reach the consumer');

    const read = await fetch(`${api}/v1/accounts/${SIM_HK}/orders/${order.orderId}`);
    expect(read.status).toBe(200);
    const body = (await read.json()) as { order: { status: string; fillQty: number; clientOrderId: string } };
    expect(body.order).toMatchObject({ status: 'FILLED_ALL', fillQty: 100, clientOrderId: 'e2e-order-1' });

    const gw = (await (await fetch(`${api}/v1/gateway`)).json()) as { ready: boolean; relay: { ready: boolean } };
    expect(gw.ready).toBe(true);
    expect(gw.relay.ready).toBe(true);

    const procs = descendants(child.pid!);
    expect(procs.some((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('DynamoDBLocal'))).toBe(true);
    // Ctrl-C in a terminal signals the whole foreground process group.
    process.kill(-child.pid!, 'SIGINT');
    // npm itself dies of the SIGINT (as in a terminal); the stack under it stops cleanly and says so.
    const end = await exited;
    expect(end.code === 0 || end.signal === 'SIGINT').toBe(true);
    await until(() => procs.every((p) => !alive(p)), 15_000, 'every child process to exit');
    expect(out).toContain('opend-cloud: stopped');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- npm start output ---\n${out.slice(-4000)}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
