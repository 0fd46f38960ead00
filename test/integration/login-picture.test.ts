// A picture login challenge reaches whoever reads the Login Challenge event: the simulator in picture mode
// saves a real PNG where OpenD saves it (F3CNN/PicVerifyCode.png under the state folder), the relay attaches it
// to the event it publishes, and the code read from it completes the login. Real parts: the simulator over TCP,
// the relay, the local PutEvents endpoint through the real EventBridge client.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalEventBridge, type BusEvent } from '../../bin/local/eventbridge-local.js';
import { LOGIN_PICTURE_FILE, MAX_EVENT_PICTURE_BYTES, withLoginPicture, type PublishableEvent } from '../../gateway-container/relay/login-challenge.js';
import { Relay } from '../../gateway-container/relay/relay.js';
import { PNG_SIGNATURE, renderCode } from '../../gateway-container/simulator/picture-challenge.js';
import { startSimulator } from '../../gateway-container/simulator/index.js';
import { OpenDClient } from '../../proto/client.js';
import { generateRsaKeyPem } from '../../proto/crypto.js';
import { until } from '../support/local-aws.js';
import { testRelayOptions } from '../support/test-relay.js';
import { PROTO_ID } from '../../proto/registry.js';

const KEY = generateRsaKeyPem();
const CODE = '7K3Q';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  cleanups = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opend-state-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A PNG's chunks, each CRC checked with node:zlib's own CRC-32, and its greyscale pixels. */
function decodePng(png: Buffer): { width: number; height: number; pixels: Uint8Array; types: string[] } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const types: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  for (let off = 8; off < png.length; ) {
    const length = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + length);
    expect(png.readUInt32BE(off + 8 + length), `CRC of ${type}`).toBe(zlibCrc32(png.subarray(off + 4, off + 8 + length)));
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([...data.subarray(8)]).toEqual([8, 0, 0, 0, 0]); // 8-bit greyscale, deflate, filter 0, no interlace
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  expect(raw.length).toBe((width + 1) * height);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)], 'filter type of a row').toBe(0);
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels, types };
}

describe('picture login challenge', () => {
  it('the simulator saves a valid PNG of the code where OpenD saves it; the relay puts it in the Login Challenge event; its code logs in', async () => {
    const stateDir = tempDir();
    const sim = await startSimulator({ port: 0, rsaPrivateKey: KEY, clock: { manual: true }, loginChallenge: { type: 'picture', code: CODE }, opendStateDir: stateDir });
    cleanups.push(() => sim.close());

    const file = readFileSync(join(stateDir, 'F3CNN', 'PicVerifyCode.png'));
    const png = decodePng(file);
    expect(png.types).toEqual(['IHDR', 'IDAT', 'IEND']);
    const expected = renderCode(CODE);
    expect([png.width, png.height]).toEqual([expected.width, expected.height]);
    expect(Buffer.from(png.pixels).equals(Buffer.from(expected.pixels))).toBe(true);
    // Ink (dark pixels) for each of the four characters: the picture shows the code, not a blank.
    expect(png.pixels.filter((p) => p < 100).length).toBeGreaterThan(4 * 36 * 5);

    process.env['OPEND_STATE_DIR'] = stateDir;
    cleanups.push(() => delete process.env['OPEND_STATE_DIR']);
    const bus = await startLocalEventBridge();
    cleanups.push(() => bus.close());
    const relay = new Relay(testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint));
    cleanups.push(() => relay.stop());
    await relay.start();

    const challenge = () => bus.events.find((e: BusEvent) => e['detail-type'] === 'Login Challenge');
    await until(() => challenge() !== undefined, 20_000, 'a Login Challenge event on the bus');
    const detail = challenge()!.detail as Record<string, unknown>;
    expect(detail).toMatchObject({ challenge: 'PICTURE', picturePath: join(stateDir, LOGIN_PICTURE_FILE), pictureBytes: file.length });
    expect(detail['pictureNote']).toBeUndefined();
    const fromEvent = Buffer.from(detail['picturePngBase64'] as string, 'base64');
    expect(fromEvent.equals(file)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThan(256 * 1024);

    // Whoever read the picture answers with its code (what POST /v1/gateway/verification sends).
    const client = await OpenDClient.connect({ host: sim.host, port: sim.port, rsaPrivateKey: KEY, clientId: 'verifier' });
    cleanups.push(() => client.close());
    await client.request(PROTO_ID.Verification, { type: 1, op: 2, code: CODE });
    await until(() => relay.health().ready, 20_000, 'the relay to report OpenD ready');
  });

  it('asking for a new picture (Verification op 1) saves it again', async () => {
    const stateDir = tempDir();
    const sim = await startSimulator({ port: 0, rsaPrivateKey: KEY, clock: { manual: true }, loginChallenge: { type: 'picture', code: CODE }, opendStateDir: stateDir });
    cleanups.push(() => sim.close());
    const path = join(stateDir, LOGIN_PICTURE_FILE);
    rmSync(path);
    const client = await OpenDClient.connect({ host: sim.host, port: sim.port, rsaPrivateKey: KEY, clientId: 'verifier' });
    cleanups.push(() => client.close());
    await client.request(PROTO_ID.Verification, { type: 1, op: 1 });
    expect(decodePng(readFileSync(path)).width).toBe(renderCode(CODE).width);
  });

  it('publishes another Login Challenge with the new picture when a client asks for one, and stops watching once logged in', async () => {
    const stateDir = tempDir();
    const sim = await startSimulator({ port: 0, rsaPrivateKey: KEY, clock: { manual: true }, loginChallenge: { type: 'picture', code: CODE }, opendStateDir: stateDir });
    cleanups.push(() => sim.close());
    const bus = await startLocalEventBridge();
    cleanups.push(() => bus.close());
    const relay = new Relay(
      testRelayOptions({ host: sim.host, port: sim.port, rsaPrivateKey: KEY }, bus.endpoint, {
        loginPicture: { stateDir, pollMs: 50 },
      }),
    );
    cleanups.push(() => relay.stop());
    await relay.start();
    const challenges = () => bus.events.filter((e: BusEvent) => e['detail-type'] === 'Login Challenge').map((e) => e.detail as Record<string, unknown>);
    await until(() => challenges().length >= 1, 20_000, 'the first Login Challenge event on the bus');
    // The relay has seen OpenD wait for a picture code (its health says so) before the new picture is asked for.
    await until(() => relay.health().programStatus === 'NEED_PIC_VERIFY_CODE', 20_000, 'the relay to know OpenD waits for a picture code');
    const first = challenges()[0]!;
    const count = challenges().length;

    const client = await OpenDClient.connect({ host: sim.host, port: sim.port, rsaPrivateKey: KEY, clientId: 'verifier' });
    cleanups.push(() => client.close());
    await client.request(PROTO_ID.Verification, { type: 1, op: 1 });
    await until(() => challenges().length > count, 20_000, 'a Login Challenge event for the new picture');
    const renewed = challenges()[challenges().length - 1]!;
    const file = readFileSync(join(stateDir, LOGIN_PICTURE_FILE));
    expect(renewed).toMatchObject({ challenge: 'PICTURE', picturePath: join(stateDir, LOGIN_PICTURE_FILE), pictureBytes: file.length, description: 'OpenD saved a new login picture' });
    expect(Buffer.from(renewed['picturePngBase64'] as string, 'base64').equals(file)).toBe(true);
    expect(Date.parse(renewed['pictureSavedAt'] as string)).toBeGreaterThanOrEqual(Date.parse(first['pictureSavedAt'] as string));

    await client.request(PROTO_ID.Verification, { type: 1, op: 2, code: CODE });
    await until(() => relay.health().ready, 20_000, 'the relay to report OpenD ready');
    // Logged in: a picture written now is no challenge any more, and nothing is published for it.
    const settled = challenges().length;
    writeFileSync(join(stateDir, LOGIN_PICTURE_FILE), file);
    // A negative can only be observed over a window: 20 poll intervals, then whatever was queued is drained.
    await new Promise((r) => setTimeout(r, 1_000));
    await relay.flush(5_000);
    expect(challenges()).toHaveLength(settled);
  });

  it('says where the picture is when it is missing or too large for an event, and leaves phone challenges alone', () => {
    const stateDir = tempDir();
    const event: PublishableEvent = { detailType: 'Login Challenge', detail: { challenge: 'PICTURE', howToAnswer: '…', gatewayTime: '2026-12-01T00:00:00.000Z' } };
    const missing = withLoginPicture(event, stateDir).detail;
    expect(missing['picturePngBase64']).toBeUndefined();
    expect(missing['pictureNote']).toMatch(/no picture could be read at .*F3CNN\/PicVerifyCode\.png \(ENOENT\); ask for a new one with POST \/v1\/gateway\/verification/);

    mkdirSync(join(stateDir, 'F3CNN'));
    writeFileSync(join(stateDir, LOGIN_PICTURE_FILE), Buffer.alloc(MAX_EVENT_PICTURE_BYTES + 1));
    const large = withLoginPicture(event, stateDir).detail;
    expect(large['picturePngBase64']).toBeUndefined();
    expect(large).toMatchObject({ pictureBytes: MAX_EVENT_PICTURE_BYTES + 1, picturePath: join(stateDir, LOGIN_PICTURE_FILE) });
    expect(large['pictureNote']).toMatch(/too large for an event .* read it from .* on the gateway's EFS volume/);

    expect(withLoginPicture(event, undefined).detail['pictureNote']).toMatch(/OPEND_STATE_DIR/);
    const phone: PublishableEvent = { detailType: 'Login Challenge', detail: { challenge: 'PHONE', howToAnswer: '…', gatewayTime: '…' } };
    expect(withLoginPicture(phone, stateDir)).toBe(phone);
  });
});
