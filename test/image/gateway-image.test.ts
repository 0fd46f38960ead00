// The gateway image, built from gateway-container/Dockerfile (with buildah, no Docker) and run for real:
//   1. the simulator-only image: its own ENTRYPOINT, USER and ENV; /livez, /readyz and its HEALTHCHECK answer; an
//      OpenDClient logs in to the simulator inside and places an order; the relay's Gateway State and Order Update
//      events reach a local PutEvents endpoint; SIGTERM stops everything within the grace period; it runs as
//      uid 10001 and carries no sources, tests or npm;
//   2. the OpenD build path, offline, on a stand-in tarball laid out like Futu's (opend-fixture.ts) served from
//      127.0.0.1: download retried after a reset in mid-transfer, SHA-256 verified, the whole program folder
//      (symlinks, subfolders) copied, the binary's libraries resolved (ldd at build time, and a real run);
//   3. a wrong or missing OPEND_SHA256 fails the build with the documented message.
// Run with `npm run test:image` (root, buildah and debootstrap needed; .ci/run installs them). Each build's wall
// time is printed. Everything started here is stopped and every working container removed, on failure too.
import { generateKeyPairSync } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent } from '../../bin/local/eventbridge-local.js';
import { QuoteApi } from '../../proto/api/quotes.js';
import { TradeApi } from '../../proto/api/trading.js';
import { OpenDClient } from '../../proto/client.js';
import { until } from '../support/local-aws.js';
import { alive, descendants, freePort } from '../support/processes.js';
import { buildImage, execIn, imageExists, mountImage, processesRootedAt, removeImage, ROOT, run, startContainer, uidsOf, type MountedImage } from './image-runner.js';
import { makeOpenDFixture, serveFixture } from './opend-fixture.js';

const SIM_IMAGE = 'localhost/opend-gateway:image-test-sim';
const FIXTURE_IMAGE = 'localhost/opend-gateway:image-test-fixture';
const GATEWAY_UID = 10001;
/** The entrypoint's default SHUTDOWN_GRACE_MS (entrypoint.ts): children get SIGKILL after it. */
const GRACE_MS = 20_000;
const SIM_HK = { accId: 281756480572583411n, env: 'SIMULATE', market: 'HK' } as const;
const KEY = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const work = mkdtempSync(join(tmpdir(), 'gw-image-'));
afterAll(() => {
  removeImage(SIM_IMAGE);
  removeImage(FIXTURE_IMAGE);
  rmSync(work, { recursive: true, force: true });
});

function timing(step: string, ms: number): void {
  process.stdout.write(`[image timing] ${step}: ${(ms / 1000).toFixed(1)} s\n`);
}

/** A failed build's output, shortened to what explains it. */
function tail(output: string, lines = 60): string {
  return output.split('\n').slice(-lines).join('\n');
}

function mount(image: string): MountedImage {
  const m = mountImage(image);
  cleanups.push(() => m.cleanup());
  return m;
}

/** Every regular file and symlink under `dir` (relative paths), bounded; /proc and /dev are never walked. */
function walk(root: string, dir = '', out: string[] = []): string[] {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (out.length > 200_000) throw new Error('too many files to walk');
    if (e.isDirectory()) {
      if (!dir && ['proc', 'dev', 'sys'].includes(e.name)) continue;
      walk(root, rel, out);
    } else out.push(rel);
  }
  return out;
}

describe('the gateway image', () => {
  beforeAll(async () => {
    const base = await run('bash', ['bin/image/base-images.sh'], { timeoutMs: 15 * 60_000 });
    timing('local base images (debootstrap + node/npm from the npm registry; ~0 when present)', base.ms);
    // base-images.sh's own step times (debootstrap, each image), when it made something.
    for (const line of base.output.split('\n')) if (/\] (debootstrap took|made) /.test(line)) process.stdout.write(`[image timing] ${line}\n`);
    if (base.code !== 0) throw new Error(`making the local base images failed:\n${tail(base.output)}`);
  });

  it('simulator-only: runs its own entrypoint as uid 10001, serves an OpenD client, relays events, stops on SIGTERM, and ships no sources, tests or npm', async () => {
    const build = await buildImage(['--build-arg', 'OPEND_SIMULATOR_ONLY=1', '-t', SIM_IMAGE]);
    timing('build, simulator-only image', build.ms);
    expect(build.code, tail(build.output)).toBe(0);

    const m = mount(SIM_IMAGE);
    const cfg = m.config;
    expect(cfg.User).toBe('opend');
    expect(m.user()).toMatchObject({ uid: GATEWAY_UID, gid: GATEWAY_UID });
    expect(cfg.Entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '--enable-source-maps', '/app/dist/entrypoint.mjs']);
    expect(cfg.Env).toEqual(expect.arrayContaining(['OPEND_SIMULATOR_ONLY=1', 'NODE_ENV=production', 'OPEND_RUNTIME_DIR=/run/opend']));
    // One health path: the image's HEALTHCHECK asks /livez, as ECS does.
    expect(cfg.Healthcheck?.Test?.join(' ')).toContain('/livez');
    expect(cfg.Healthcheck?.Test?.join(' ')).not.toContain('/readyz');

    // What the image must not carry.
    const files = walk(m.rootfs);
    expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)test\/|\.test\.|\.spec\./.test(f) && f.startsWith('app/'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(npm|npx|corepack|yarn)$/.test(f) && /bin\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('usr/local/lib/node_modules/') || f.startsWith('app/node_modules/'))).toEqual([]);
    expect(files.filter((f) => /^(app|opt|home|run)\//.test(f) && /\.pem$|\.key$|\.local-data|(^|\/)\.env$/.test(f))).toEqual([]);
    // The simulator's data files (read beside its bundle at run time), and nothing else beside the bundles.
    const dataFiles = readdirSync(join(ROOT, 'gateway-container/simulator')).filter((f) => f.endsWith('.json'));
    expect(dataFiles).toContain('universe.json');
    expect(readdirSync(m.path('app')).sort()).toEqual(['dist', ...dataFiles].sort());
    expect(readdirSync(m.path('app/dist')).sort()).toEqual(['entrypoint.mjs', 'entrypoint.mjs.map', 'relay.mjs', 'relay.mjs.map', 'simulator.mjs', 'simulator.mjs.map']);
    expect(readdirSync(m.path('opt/opend'))).toEqual([]);

    const bus = await startLocalEventBridge();
    cleanups.push(() => bus.close());
    const [apiPort, healthPort] = [await freePort(), await freePort()];
    const t0 = Date.now();
    // What an ECS task definition adds to the image: ports, the secret, the bus and its endpoint, credentials.
    const c = startContainer(m, {
      OPEND_API_IP: '127.0.0.1',
      OPEND_API_PORT: String(apiPort),
      OPEND_RSA_PRIVATE_KEY: KEY,
      RELAY_HTTP_HOST: '127.0.0.1',
      RELAY_HTTP_PORT: String(healthPort),
      EVENT_BUS_NAME: 'gateway-image-test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      RELAY_EMF_INTERVAL_MS: '0',
    });
    const status = async (path: string) => {
      try {
        return (await fetch(`http://127.0.0.1:${healthPort}${path}`, { signal: AbortSignal.timeout(3000) })).status;
      } catch {
        return 0;
      }
    };
    try {
      await until(async () => (await status('/readyz')) === 200, 120_000, 'the relay in the image to report ready');
      expect(await status('/livez')).toBe(200);
      timing('run: start to ready', Date.now() - t0);

      // The processes: tini (the entrypoint's PID), node, the simulator and the relay, all uid 10001, all inside.
      const pids = [c.pid, ...descendants(c.pid)];
      expect(pids.length).toBeGreaterThanOrEqual(4);
      for (const pid of pids) expect(uidsOf(pid)).toEqual([GATEWAY_UID, GATEWAY_UID, GATEWAY_UID, GATEWAY_UID]);
      expect(readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('/usr/bin/tini');
      expect(processesRootedAt(m.rootfs).sort()).toEqual(pids.sort());

      // The image's own HEALTHCHECK command, run inside it as its user: exit 0.
      const hc = cfg.Healthcheck!.Test!;
      const probe = await execIn(m, hc.slice(1), { RELAY_HTTP_PORT: String(healthPort) });
      expect(probe.code, probe.output).toBe(0);

      // An OpenD client logs in (RSA InitConnect) to the simulator inside the image and places an order.
      const client = await OpenDClient.connect({ host: '127.0.0.1', port: apiPort, clientId: 'image-test', rsaPrivateKey: KEY, requestTimeoutMs: 20_000 });
      cleanups.push(() => client.close());
      const [snap] = await new QuoteApi(client).snapshot(['HK.00700']);
      const placed = await new TradeApi(client).placeOrder(SIM_HK, { code: 'HK.00700', side: 'BUY', qty: 100, price: snap!.bid ?? snap!.price, adjustPriceLimit: -0.02, remark: 'oc:image-test-1' });
      expect(placed.orderId).toBeGreaterThan(0n);

      const byType = (t: string): BusEvent[] => bus.events.filter((e) => e['detail-type'] === t);
      await until(() => byType('Gateway State').some((e) => (e.detail as { ready?: boolean }).ready === true), 30_000, 'a ready Gateway State event');
      await until(() => byType('Order Update').some((e) => (e.detail as { orderId?: string }).orderId === placed.orderId.toString()), 30_000, 'the Order Update event of the placed order');
      const update = byType('Order Update').find((e) => (e.detail as { orderId?: string }).orderId === placed.orderId.toString())!;
      expect(update.source).toBe('opend');
      expect(update.detail).toMatchObject({ accId: SIM_HK.accId.toString(), trdEnv: 'SIMULATE', security: 'HK.00700', side: 'BUY', qty: 100, clientOrderId: 'image-test-1' });
      // The key never shows in what the container printed.
      expect(c.output()).not.toContain(KEY.split('\n')[1]!);

      // SIGTERM to the entrypoint's PID (what `docker stop` / ECS send): everything is gone within the grace.
      const stopAt = Date.now();
      process.kill(c.pid, 'SIGTERM');
      const exit = await Promise.race([c.exited, new Promise<null>((r) => setTimeout(() => r(null), GRACE_MS + 10_000))]);
      expect(exit, `not stopped ${GRACE_MS + 10_000} ms after SIGTERM:\n${tail(c.output())}`).not.toBeNull();
      expect(exit!.code, tail(c.output())).toBe(0);
      timing('run: SIGTERM to exit', exit!.at - stopAt);
      expect(exit!.at - stopAt).toBeLessThan(GRACE_MS);
      await until(() => pids.every((p) => !alive(p)) && processesRootedAt(m.rootfs).length === 0, 10_000, 'every process of the container to be gone');
      // The staged secret is removed at stop.
      expect(readdirSync(m.path('run/opend')).filter((f) => /key|pem|secret/i.test(f))).toEqual([]);
    } finally {
      if (c.pid && alive(c.pid)) process.stdout.write(`[image] container output:\n${tail(c.output())}\n`);
    }
  });

  describe('the OpenD build path, offline, on a stand-in tarball', () => {
    const version = '10.9.6918';
    const fixture = makeOpenDFixture(join(work, 'fixture'), version);

    it('downloads through a reset in mid-transfer, verifies the SHA-256, copies the whole program folder, and resolves its libraries', async () => {
      const server = await serveFixture(fixture, { resetFirst: true });
      cleanups.push(() => server.close());
      const build = await buildImage(['--build-arg', `OPEND_VERSION=${version}`, '--build-arg', `OPEND_URL=${server.url}`, '--build-arg', `OPEND_SHA256=${fixture.sha256.toUpperCase()}`, '-t', FIXTURE_IMAGE]);
      timing('build, OpenD image from the stand-in tarball', build.ms);
      expect(build.code, tail(build.output)).toBe(0);
      expect(server.stats.resets).toBe(1);
      expect(server.stats.requests).toBeGreaterThanOrEqual(2);
      expect(build.output).toContain(`sha256 verified: ${fixture.sha256}`);
      // The command-line folder, not the GUI build's folder that also holds an AppData.dat.
      expect(build.output).toContain(`OpenD program folder: Futu_OpenD_${version}_Ubuntu18.04/Futu_OpenD_${version}_Ubuntu18.04 (binary FutuOpenD)`);

      const m = mount(FIXTURE_IMAGE);
      const opt = (p: string) => m.path(`opt/opend/${p}`);
      expect(readdirSync(m.path('opt/opend')).sort()).toEqual(['AppData.dat', 'FutuOpenD', 'FutuOpenD.xml', 'Resources', 'VERSION', 'libFTstub.so', `libFTstub.so.${version}`]);
      expect(readFileSync(opt('AppData.dat')).equals(fixture.appData)).toBe(true);
      expect(lstatSync(opt('libFTstub.so')).isSymbolicLink()).toBe(true);
      expect(readlinkSync(opt('libFTstub.so'))).toBe(`libFTstub.so.${version}`);
      expect(readFileSync(opt('Resources/lang/en.txt'), 'utf8')).toBe('stand-in resource\n');
      expect(readFileSync(opt('VERSION'), 'utf8').trim()).toBe(version);
      // Root-owned, not writable by the gateway user; the binary executable.
      const bin = statSync(opt('FutuOpenD'));
      expect(bin.uid).toBe(0);
      expect(bin.mode & 0o777).toBe(0o755);
      expect(statSync(m.path('opt/opend')).mode & 0o022).toBe(0);
      expect(m.config.Labels?.['opend-cloud.opend-version']).toBe(version);
      expect(m.config.Env).toEqual(expect.arrayContaining(['OPEND_SIMULATOR_ONLY=0']));

      // The stand-in loads its own library through the symlink and the image's GLib, as the user OpenD runs as,
      // with the LD_LIBRARY_PATH the entrypoint gives it.
      const ran = await execIn(m, ['/opt/opend/FutuOpenD'], { LD_LIBRARY_PATH: '/opt/opend' });
      expect(ran.output.trim()).toBe(`stand-in OpenD ${version}: FT ${version}, GLib ok`);
      expect(ran.code).toBe(0);
    });

    it('fails the build, not the deployment, when the OpenD binary needs a library the image lacks (ldd check)', async () => {
      const broken = makeOpenDFixture(join(work, 'fixture-missing-lib'), version, { needsMissingLib: true });
      const server = await serveFixture(broken, { resetFirst: false });
      cleanups.push(() => server.close());
      const build = await buildImage(['--build-arg', `OPEND_VERSION=${version}`, '--build-arg', `OPEND_URL=${server.url}`, '--build-arg', `OPEND_SHA256=${broken.sha256}`, '-t', 'localhost/opend-gateway:image-test-bad']);
      timing('build, OpenD binary with a missing library', build.ms);
      expect(build.code).not.toBe(0);
      expect(build.output).toContain('error: /opt/opend/FutuOpenD needs libraries this image lacks:');
      expect(build.output).toMatch(/libopend-missing\.so\.1 => not found/);
      expect(build.output).not.toMatch(/libFTstub\.so => not found|libglib-2\.0\.so\.0 => not found/);
      expect(imageExists('localhost/opend-gateway:image-test-bad')).toBe(false);
    });

    it('refuses a tarball whose SHA-256 differs from OPEND_SHA256, and an empty OPEND_SHA256, with the documented messages', async () => {
      const server = await serveFixture(fixture, { resetFirst: false });
      cleanups.push(() => server.close());
      const wrong = fixture.sha256.replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
      // Only the download stage: the check fails there, before anything else would be built.
      const bad = await buildImage(['--target', 'opend-simonly-0', '--build-arg', `OPEND_VERSION=${version}`, '--build-arg', `OPEND_URL=${server.url}`, '--build-arg', `OPEND_SHA256=${wrong}`, '-t', 'localhost/opend-gateway:image-test-bad']);
      timing('build, wrong digest (download stage only)', bad.ms);
      expect(bad.code).not.toBe(0);
      expect(bad.output).toContain(`error: OPEND_SHA256 mismatch: the download from ${server.url} has SHA-256 ${fixture.sha256}, expected ${wrong}.`);
      expect(imageExists('localhost/opend-gateway:image-test-bad')).toBe(false);

      const empty = await buildImage(['--target', 'opend-simonly-0', '--build-arg', `OPEND_URL=${server.url}`, '-t', 'localhost/opend-gateway:image-test-bad']);
      expect(empty.code).not.toBe(0);
      expect(empty.output).toContain('error: OPEND_SHA256 is empty.');
      expect(server.stats.requests).toBe(1);
    });
  });
});
