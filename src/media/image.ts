/**
 * What `run.logImage` accepts, turned into bytes to store: an encoded PNG or JPEG, raw pixels,
 * or a TF.js tensor (duck-typed on `shape` and `dataSync`, so the core never imports TF.js).
 * Pixel values follow MLflow's `log_image` rules: integers in [0, 255], floats in [0, 1]
 * (floats outside that range are rescaled from their min and max), booleans as 0 or 255.
 *
 * @packageDocumentation
 */
import { ValidationError } from "../errors.js";
import { decodePng, encodePng, MAX_PIXELS, type RgbaPixels } from "./png.js";

/**
 * Raw pixels: `height` rows of `width` pixels, row-major, with 1 (grey), 3 (RGB) or 4 (RGBA)
 * values per pixel, inferred from the length of `data` unless `channels` is given. A
 * `Float32Array`/`Float64Array` holds values in [0, 1]; integer arrays hold values in [0, 255].
 * @example `{ data: new Uint8Array(28 * 28 * 4), width: 28, height: 28 }`
 */
export interface RawImage {
  /** The values, row by row. */
  readonly data: Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | Int32Array | readonly number[];
  /** Pixels per row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** Values per pixel: 1, 3 or 4. @default inferred from `data.length / (width * height)` */
  readonly channels?: 1 | 3 | 4;
}

/**
 * The part of a TF.js tensor `logImage` uses: shape `[h, w]`, `[h, w, c]` or `[1, h, w, c]`
 * with c = 1, 3 or 4, and its values. A `tf.Tensor` satisfies it as is.
 * @example `run.logImage(tf.browser.fromPixels(canvas), "samples", { step })`
 */
export interface TensorLike {
  /** `[h, w]`, `[h, w, c]` or `[1, h, w, c]`. */
  readonly shape: readonly number[];
  /** `"float32"` (values in [0, 1]), `"int32"` (0..255) or `"bool"`. @default from the array type of `dataSync()` */
  readonly dtype?: string;
  /** The values, row by row. */
  dataSync(): ArrayLike<number>;
}

/**
 * An image `run.logImage` accepts: PNG or JPEG bytes, raw pixels, or a tensor.
 * @example `run.logImage(fs.readFileSync("confusion.png"), "confusion.png")`
 */
export type ImageInput = Uint8Array | RawImage | TensorLike;

/** An image ready to store: its encoded bytes, and its pixels when known (for the thumbnail). */
export interface EncodedImage {
  readonly format: "png" | "jpeg";
  readonly bytes: Buffer;
  readonly pixels?: RgbaPixels;
}

const MAX_SIDE = 1 << 15;

function isTensorLike(value: object): value is TensorLike {
  return Array.isArray((value as TensorLike).shape) && typeof (value as TensorLike).dataSync === "function";
}

function checkSide(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_SIDE)
    throw new ValidationError(field, value, `must be an integer from 1 to ${MAX_SIDE}`);
  return value;
}

/** Values to 8-bit: integers checked in [0, 255], floats in [0, 1] scaled (or rescaled from min..max like MLflow). */
function toBytes(values: ArrayLike<number>, isFloat: boolean, isBool: boolean): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n);
  if (isBool) {
    for (let i = 0; i < n; i++) out[i] = values[i] ? 255 : 0;
    return out;
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new ValidationError("image", `value ${v} at index ${i}`, "pixel values must be finite numbers");
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!isFloat) {
    if (n > 0 && (min < 0 || max > 255 || !Number.isInteger(min) || !Number.isInteger(max)))
      throw new ValidationError("image", `values from ${min} to ${max}`, "integer pixel values must be in [0, 255] (floats in [0, 1])");
    for (let i = 0; i < n; i++) out[i] = values[i] as number;
    return out;
  }
  const rescale = min < 0 || max > 1;
  const span = max - min || 1;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    out[i] = Math.round((rescale ? (v - min) / span : v) * 255);
  }
  return out;
}

function checkArea(width: number, height: number): void {
  if (width * height > MAX_PIXELS) throw new ValidationError("image", `${width}×${height} pixels`, `must have at most ${MAX_PIXELS} pixels`);
}

function toRgba(values: Uint8Array, width: number, height: number, channels: number): RgbaPixels {
  if (channels === 4) return { data: values, width, height };
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, p = 0; i < width * height; i++, p += channels) {
    const r = values[p] as number;
    data[i * 4] = r;
    data[i * 4 + 1] = channels === 1 ? r : (values[p + 1] as number);
    data[i * 4 + 2] = channels === 1 ? r : (values[p + 2] as number);
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

function fromTensor(t: TensorLike): RgbaPixels {
  const shape = t.shape[0] === 1 && t.shape.length === 4 ? t.shape.slice(1) : [...t.shape];
  const channels = shape.length === 2 ? 1 : (shape[2] as number);
  if ((shape.length !== 2 && shape.length !== 3) || ![1, 3, 4].includes(channels))
    throw new ValidationError("image shape", JSON.stringify(t.shape), "must be [h, w], [h, w, c] or [1, h, w, c] with c = 1, 3 or 4");
  const height = checkSide("image height", shape[0]);
  const width = checkSide("image width", shape[1]);
  checkArea(width, height);
  const values = t.dataSync();
  if (values.length !== width * height * channels)
    throw new ValidationError("image", `${values.length} values`, `a tensor of shape ${JSON.stringify(t.shape)} must hold ${width * height * channels}`);
  const dtype = t.dtype ?? (values instanceof Float32Array || values instanceof Float64Array ? "float32" : "int32");
  return toRgba(toBytes(values, dtype.startsWith("float"), dtype === "bool"), width, height, channels);
}

function fromRaw(raw: RawImage): RgbaPixels {
  const width = checkSide("image width", raw.width);
  const height = checkSide("image height", raw.height);
  checkArea(width, height);
  const { data } = raw;
  if (!(ArrayBuffer.isView(data) || Array.isArray(data))) throw new ValidationError("image data", data, "must be a typed array or an array of numbers");
  const length = (data as ArrayLike<number>).length;
  const channels = raw.channels ?? length / (width * height);
  if (![1, 3, 4].includes(channels) || length !== width * height * channels)
    throw new ValidationError("image data", `${length} values`, `must hold width × height × (1, 3 or 4) = ${width * height}×c values`);
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  const bytes =
    data instanceof Uint8Array || data instanceof Uint8ClampedArray
      ? new Uint8Array(data.buffer, data.byteOffset, data.length)
      : toBytes(data as ArrayLike<number>, isFloat, false);
  return toRgba(bytes, width, height, channels);
}

/**
 * Turns what the user gave into bytes to store; throws a ValidationError naming what is wrong.
 * @example `encodeImage({ data, width: 2, height: 2 }).format // "png"`
 */
export function encodeImage(input: ImageInput): EncodedImage {
  if (input instanceof Uint8Array) {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length >= 8 && bytes[0] === 0x89 && bytes.toString("latin1", 1, 4) === "PNG") {
      const pixels = decodePng(bytes);
      return pixels === undefined ? { format: "png", bytes } : { format: "png", bytes, pixels };
    }
    if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { format: "jpeg", bytes };
    throw new ValidationError("image", `${bytes.length} bytes`, "encoded images must be PNG or JPEG (or pass raw pixels { data, width, height } or a tensor)");
  }
  if (input === null || typeof input !== "object")
    throw new ValidationError("image", input, "must be PNG/JPEG bytes, raw pixels { data, width, height } or a tensor (shape and dataSync)");
  const pixels = isTensorLike(input) ? fromTensor(input) : fromRaw(input as RawImage);
  return { format: "png", bytes: encodePng(pixels), pixels };
}
