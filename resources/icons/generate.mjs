// Draws Fluxdeck's tray icons and app icon as PNGs (no image library: a tiny rasteriser with 4x4 supersampling and
// zlib). Run with `node resources/icons/generate.mjs` after changing a colour; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const resources = join(here, '..');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8;
  header[9] = 6;
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0;
    rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

/** Renders shapes (functions from a point in 0..1 coordinates to a colour or null) with 4x4 supersampling. */
function render(size, shapes) {
  const out = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const px = (x + (sx + 0.5) / S) / size;
          const py = (y + (sy + 0.5) / S) / size;
          let col = null;
          for (const shape of shapes) col = shape(px, py) ?? col;
          if (col) {
            r += col[0];
            g += col[1];
            b += col[2];
            a += 255;
          }
        }
      const n = S * S;
      const i = (y * size + x) * 4;
      const cover = a / 255;
      out[i] = cover ? Math.round(r / cover) : 0;
      out[i + 1] = cover ? Math.round(g / cover) : 0;
      out[i + 2] = cover ? Math.round(b / cover) : 0;
      out[i + 3] = Math.round(a / n);
    }
  return out;
}

const circle = (cx, cy, r, col) => (x, y) => ((x - cx) ** 2 + (y - cy) ** 2 <= r * r ? col : null);
const ring = (cx, cy, r, w, col) => (x, y) => {
  const d = Math.sqrt((x - cx) ** 2 + (y - cy) ** 2);
  return d <= r && d >= r - w ? col : null;
};
const segment = (x1, y1, x2, y2, w, col) => (x, y) => {
  const dx = x2 - x1,
    dy = y2 - y1;
  const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
  return (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= (w / 2) ** 2 ? col : null;
};
const roundedSquare = (m, rad, col) => (x, y) => {
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - m - rad), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - m - rad), 0);
  return qx * qx + qy * qy <= rad * rad ? col : null;
};

const STATES = {
  healthy: '#3fb950',
  progressing: '#58a6ff',
  degraded: '#f2545b',
  idle: '#8b949e',
  paused: '#a08cf0',
};
const ALERT = hex('#f0b429');

for (const [name, colour] of Object.entries(STATES)) {
  const c = hex(colour);
  for (const unread of [false, true]) {
    const shapes = [ring(0.5, 0.5, 0.44, 0.13, c), circle(0.5, 0.5, 0.2, c)];
    // The unread badge cuts a notch out of the ring, then fills it.
    if (unread) shapes.push(circle(0.8, 0.2, 0.22, [0, 0, 0]), circle(0.8, 0.2, 0.17, ALERT));
    const file = `${name}${unread ? '-unread' : ''}`;
    for (const [size, suffix] of [
      [16, ''],
      [32, '@2x'],
    ]) {
      let pixels = render(size, shapes);
      if (unread) {
        // Pure black marks the notch: make it transparent.
        for (let i = 0; i < pixels.length; i += 4)
          if (pixels[i] === 0 && pixels[i + 1] === 0 && pixels[i + 2] === 0) pixels[i + 3] = 0;
      }
      writeFileSync(join(resources, 'tray', `${file}${suffix}.png`), png(size, pixels));
    }
  }
}

// The app icon: sources feeding a Kustomization feeding a workload, on a dark tile.
const bg = hex('#0f141b');
const line = hex('#5ea8ff');
const app = [
  roundedSquare(0.06, 0.16, bg),
  segment(0.3, 0.32, 0.5, 0.5, 0.045, line),
  segment(0.7, 0.32, 0.5, 0.5, 0.045, line),
  segment(0.5, 0.5, 0.5, 0.72, 0.045, line),
  circle(0.3, 0.32, 0.085, hex('#3fb950')),
  circle(0.7, 0.32, 0.085, hex('#3fb950')),
  circle(0.5, 0.5, 0.085, line),
  circle(0.5, 0.72, 0.085, hex('#d5dce4')),
];
writeFileSync(join(resources, 'icon.png'), png(512, render(512, app)));
