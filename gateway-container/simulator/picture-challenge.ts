// The simulator's picture verification code: like OpenD, it saves the picture OpenD shows for a picture
// challenge as PNG at `<OpenD state folder>/F3CNN/PicVerifyCode.png` (Futu's documentation of Verification,
// ProtoID 1006: "the picture captcha is saved to ~/.com.futunn.FutuOpenD/F3CNN/PicVerifyCode.png"). The picture
// shows the code the simulator expects, drawn with a 5×7 pixel font, so a human — or a test — can read it.
//
// The PNG is written by hand with node:zlib (a PNG is a signature plus CRC-checked chunks: IHDR, one zlib
// stream of filtered scanlines in IDAT, IEND); 8-bit greyscale, no interlace, filter 0 on every row.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** Where OpenD saves the picture, relative to its state folder. */
export const PICTURE_CHALLENGE_FILE = join('F3CNN', 'PicVerifyCode.png');

/** 5×7 glyphs, one string of 7 rows of 5 pixels each ('#' = ink). */
const GLYPHS: Readonly<Record<string, string>> = {
  '0': '.###.#...##..###.#.###..##...#.###.',
  '1': '..#...##....#....#....#....#...###.',
  '2': '.###.#...#....#...#...#...#...#####',
  '3': '#####...#...#.....#.....##...#.###.',
  '4': '...#...##..#.#.#..#.#####...#....#.',
  '5': '######....####.....#....##...#.###.',
  '6': '..##..#...#....####.#...##...#.###.',
  '7': '#####....#...#...#...#....#....#...',
  '8': '.###.#...##...#.###.#...##...#.###.',
  '9': '.###.#...##...#.####....#...#..##..',
  A: '.###.#...##...#######...##...##...#',
  B: '####.#...##...#####.#...##...#####.',
  C: '.###.#...##....#....#....#...#.###.',
  D: '###..#..#.#...##...##...##..#.###..',
  E: '######....#....####.#....#....#####',
  F: '######....#....####.#....#....#....',
  G: '.###.#...##....#.####...##...#.####',
  H: '#...##...##...#######...##...##...#',
  I: '.###...#....#....#....#....#...###.',
  J: '..###...#....#....#....##..#..##...',
  K: '#...##..#.#.#..##...#.#..#..#.#...#',
  L: '#....#....#....#....#....#....#####',
  M: '#...###.###.#.##...##...##...##...#',
  N: '#...##...###..##.#.##..###...##...#',
  O: '.###.#...##...##...##...##...#.###.',
  P: '####.#...##...#####.#....#....#....',
  Q: '.###.#...##...##...##.#.##..#..##.#',
  R: '####.#...##...#####.#.#..#..#.#...#',
  S: '.#####....#.....###.....#....#####.',
  T: '#####..#....#....#....#....#....#..',
  U: '#...##...##...##...##...##...#.###.',
  V: '#...##...##...##...##...#.#.#...#..',
  W: '#...##...##...##.#.##.#.##.#.#.#.#.',
  X: '#...##...#.#.#...#...#.#.#...##...#',
  Y: '#...##...#.#.#...#....#....#....#..',
  Z: '#####....#...#...#...#...#....#####',
};

const SCALE = 6;
const MARGIN = 12;

/** Greyscale pixels (0 = black, 255 = white) showing `code`, as rows of bytes. */
export function renderCode(code: string): { width: number; height: number; pixels: Uint8Array } {
  const chars = [...code.toUpperCase()];
  for (const c of chars) {
    if (GLYPHS[c] === undefined) throw new Error(`the picture code may hold only letters and digits, got ${JSON.stringify(c)}`);
  }
  const cell = 6 * SCALE; // 5 pixels of glyph + 1 of space
  const width = MARGIN * 2 + Math.max(1, chars.length) * cell;
  const height = MARGIN * 2 + 7 * SCALE;
  const pixels = new Uint8Array(width * height).fill(235);
  chars.forEach((c, i) => {
    const glyph = GLYPHS[c]!.padEnd(35, '.');
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        if (glyph[gy * 5 + gx] !== '#') continue;
        for (let dy = 0; dy < SCALE; dy++) {
          const y = MARGIN + gy * SCALE + dy;
          pixels.fill(30, y * width + MARGIN + i * cell + gx * SCALE, y * width + MARGIN + i * cell + (gx + 1) * SCALE);
        }
      }
    }
  });
  // A faint diagonal rule through the text, as captcha pictures have; it keeps the glyphs legible.
  for (let x = 0; x < width; x++) {
    const y = Math.round((x / width) * (height - 1));
    pixels[y * width + x] = 140;
  }
  return { width, height, pixels };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309), as PNG chunks carry it over type + data. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit greyscale PNG of `pixels`. */
export function encodeGreyPng(width: number, height: number, pixels: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The PNG of `code`, as the simulator saves it. */
export function pictureChallengePng(code: string): Buffer {
  const { width, height, pixels } = renderCode(code);
  return encodeGreyPng(width, height, pixels);
}

/**
 * Saves the picture of `code` where OpenD would, under `stateDir`; atomically, so a reader (the relay) never
 * sees half a file. Returns the file's path.
 */
export function savePictureChallenge(stateDir: string, code: string): string {
  const path = join(stateDir, PICTURE_CHALLENGE_FILE);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, pictureChallengePng(code), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}
