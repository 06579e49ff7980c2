/**
 * Shrinks a screenshot PNG to an indexed (palette) PNG with at most 256 colours, in plain Node (zlib):
 * decode (8-bit RGB/RGBA, not interlaced), median-cut the colours weighted by use, map every pixel to
 * its nearest palette colour, deflate at level 9. Flat UI with anti-aliased text loses nothing visible
 * and about half its bytes. Used by scripts/screenshots.mts for docs/screenshots/.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

interface Image {
  width: number;
  height: number;
  rgb: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** RGB pixels of an 8-bit RGB or RGBA PNG (alpha composited on white). */
export function decodePng(png: Buffer): Image {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0,
    height = 0,
    channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
      const [depth, colorType, interlace] = [data[8], data[9], data[12]];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = new Uint8Array(stride);
  const prev = new Uint8Array(stride);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const x = row[i]!;
      cur[i] =
        (filter === 0
          ? x
          : filter === 1
            ? x + a
            : filter === 2
              ? x + b
              : filter === 3
                ? x + ((a + b) >> 1)
                : x + paeth(a, b, c)) & 255;
    }
    for (let px = 0; px < width; px++) {
      const alpha = channels === 4 ? cur[px * 4 + 3]! / 255 : 1;
      for (let k = 0; k < 3; k++)
        rgb[(y * width + px) * 3 + k] = Math.round(cur[px * channels + k]! * alpha + 255 * (1 - alpha));
    }
    prev.set(cur);
  }
  return { width, height, rgb };
}

/** Median cut over the distinct colours (packed 0xRRGGBB) weighted by their pixel counts. */
function medianCut(counts: Map<number, number>, size: number): number[] {
  const ch = (c: number, k: number) => (c >> (16 - 8 * k)) & 255;
  type Box = { colors: number[]; weight: number };
  const boxOf = (colors: number[]): Box => ({ colors, weight: colors.reduce((s, c) => s + counts.get(c)!, 0) });
  const widest = (b: Box) =>
    [0, 1, 2]
      .map((k) => {
        let lo = 255,
          hi = 0;
        for (const c of b.colors) {
          lo = Math.min(lo, ch(c, k));
          hi = Math.max(hi, ch(c, k));
        }
        return [hi - lo, k] as const;
      })
      .sort((x, y) => y[0] - x[0])[0]!;
  const boxes = [boxOf([...counts.keys()])];
  while (boxes.length < size) {
    const scored = boxes
      .map((b, i) => ({ i, b, w: widest(b) }))
      .filter((x) => x.b.colors.length > 1)
      .sort((x, y) => y.w[0] * Math.sqrt(y.b.weight) - x.w[0] * Math.sqrt(x.b.weight));
    const pick = scored[0];
    if (!pick) break;
    const k = pick.w[1];
    const sorted = pick.b.colors.sort((x, y) => ch(x, k) - ch(y, k));
    let acc = 0,
      cut = 1;
    for (; cut < sorted.length - 1 && acc + counts.get(sorted[cut - 1]!)! < pick.b.weight / 2; cut++)
      acc += counts.get(sorted[cut - 1]!)!;
    boxes.splice(pick.i, 1, boxOf(sorted.slice(0, cut)), boxOf(sorted.slice(cut)));
  }
  return boxes.map((b) => {
    const sum = [0, 0, 0];
    for (const c of b.colors) for (let k = 0; k < 3; k++) sum[k]! += ch(c, k) * counts.get(c)!;
    const [r, g, bl] = sum.map((s) => Math.round(s / b.weight)) as [number, number, number];
    return (r << 16) | (g << 8) | bl;
  });
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** An indexed PNG of `png` with at most `colors` palette entries. */
export function paletteEncode(png: Buffer, colors = 256): Buffer {
  const { width, height, rgb } = decodePng(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < rgb.length; i += 3) {
    const c = (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const palette = counts.size <= colors ? [...counts.keys()] : medianCut(counts, colors);
  const index = new Map<number, number>();
  for (const c of counts.keys()) {
    let best = 0,
      bestD = Infinity;
    palette.forEach((p, i) => {
      const d =
        ((c >> 16) - (p >> 16)) ** 2 + (((c >> 8) & 255) - ((p >> 8) & 255)) ** 2 + ((c & 255) - (p & 255)) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    index.set(c, best);
  }
  const rows = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rows[y * (width + 1) + 1 + x] = index.get((rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!)!;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  const plte = Buffer.from(palette.flatMap((p) => [p >> 16, (p >> 8) & 255, p & 255]));
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
