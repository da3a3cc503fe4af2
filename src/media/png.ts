/**
 * PNG without a native dependency: an encoder for 8-bit RGBA (zlib from Node), a decoder for
 * the 8-bit non-interlaced PNGs most tools write (to make thumbnails), and a box-filter
 * downscale. Enough for `run.logImage`; not a general image library.
 *
 * @packageDocumentation
 */
import * as zlib from "node:zlib";
import { crc32 } from "../log/crc.js";

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Pixels as 8-bit RGBA, row-major, 4 bytes per pixel.
 * @example `{ data: new Uint8Array(4 * 2 * 2), width: 2, height: 2 }`
 */
export interface RgbaPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/**
 * Encodes RGBA pixels as a PNG (colour type 6, filter "Up" on every row, zlib level 6).
 * @example `const png = encodePng({ data, width: 28, height: 28 })`
 */
export function encodePng(pixels: RgbaPixels): Buffer {
  const { data, width, height } = pixels;
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    raw[out] = y === 0 ? 0 : 2; // None for the first row, Up for the others: cheap and compresses well
    const row = y * stride;
    if (y === 0) raw.set(data.subarray(row, row + stride), out + 1);
    else for (let x = 0; x < stride; x++) raw[out + 1 + x] = ((data[row + x] as number) - (data[row - stride + x] as number)) & 0xff;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([PNG_SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw, { level: 6 })), chunk("IEND", Buffer.alloc(0))]);
}

/** Width and height from a PNG's IHDR, or undefined when `bytes` is not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !PNG_SIGNATURE.equals(Buffer.from(bytes.subarray(0, 8)))) return undefined;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.toString("latin1", 12, 16) !== "IHDR") return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Largest image handled, in pixels (256 MiB of RGBA). */
export const MAX_PIXELS = 1 << 26;

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA or palette) to RGBA.
 * Returns undefined for anything else (16-bit, interlaced, damaged): callers fall back to the
 * original bytes.
 * @example `const pixels = decodePng(bytes) // { data, width, height } or undefined`
 */
export function decodePng(bytes: Uint8Array): RgbaPixels | undefined {
  const size = pngSize(bytes);
  if (size === undefined) return undefined;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const depth = b[24];
  const type = b[25] as number;
  const interlace = b[28];
  const channels = CHANNELS[type];
  if (depth !== 8 || interlace !== 0 || channels === undefined || size.width * size.height > MAX_PIXELS) return undefined;
  const idat: Buffer[] = [];
  let palette: Buffer | undefined;
  let alpha: Buffer | undefined;
  for (let at = 8; at + 12 <= b.length; ) {
    const length = b.readUInt32BE(at);
    const name = b.toString("latin1", at + 4, at + 8);
    const body = b.subarray(at + 8, at + 8 + length);
    if (name === "IDAT") idat.push(body);
    else if (name === "PLTE") palette = body;
    else if (name === "tRNS") alpha = body;
    else if (name === "IEND") break;
    at += 12 + length;
  }
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: (size.width * channels + 1) * size.height });
  } catch {
    return undefined;
  }
  const { width, height } = size;
  const stride = width * channels;
  if (raw.length < (stride + 1) * height || (type === 3 && palette === undefined)) return undefined;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x] as number;
      const left = x >= channels ? (rows[y * stride + x - channels] as number) : 0;
      const up = y > 0 ? (rows[(y - 1) * stride + x] as number) : 0;
      const upLeft = y > 0 && x >= channels ? (rows[(y - 1) * stride + x - channels] as number) : 0;
      const pred = filter === 1 ? left : filter === 2 ? up : filter === 3 ? (left + up) >> 1 : filter === 4 ? paeth(left, up, upLeft) : 0;
      rows[y * stride + x] = (v + pred) & 0xff;
    }
  }
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    let r: number;
    let g: number;
    let bl: number;
    let a = 255;
    if (type === 3) {
      const index = rows[p] as number;
      r = palette?.[index * 3] ?? 0;
      g = palette?.[index * 3 + 1] ?? 0;
      bl = palette?.[index * 3 + 2] ?? 0;
      a = alpha?.[index] ?? 255;
    } else if (channels <= 2) {
      r = g = bl = rows[p] as number;
      if (channels === 2) a = rows[p + 1] as number;
    } else {
      r = rows[p] as number;
      g = rows[p + 1] as number;
      bl = rows[p + 2] as number;
      if (channels === 4) a = rows[p + 3] as number;
    }
    out.set([r, g, bl, a], i * 4);
  }
  return { data: out, width, height };
}

/**
 * Shrinks an image to fit a `max`×`max` square keeping its aspect ratio (box filter: each
 * output pixel averages the input pixels it covers); an image already within returns as is.
 * @example `fitWithin(pixels, 256)`
 */
export function fitWithin(pixels: RgbaPixels, max: number): RgbaPixels {
  const { data, width, height } = pixels;
  if (width <= max && height <= max) return pixels;
  const scale = max / Math.max(width, height);
  const w = Math.max(1, Math.floor(width * scale));
  const h = Math.max(1, Math.floor(height * scale));
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * height) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * width) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * width) / w));
      const sum = [0, 0, 0, 0];
      for (let sy = y0; sy < y1; sy++)
        for (let sx = x0; sx < x1; sx++) for (let c = 0; c < 4; c++) sum[c] = (sum[c] as number) + (data[(sy * width + sx) * 4 + c] as number);
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < 4; c++) out[(y * w + x) * 4 + c] = Math.round((sum[c] as number) / n);
    }
  }
  return { data: out, width: w, height: h };
}
