/**
 * Hand-written protobuf encoding of the few TensorBoard messages mltrail writes: `Event`,
 * `Summary`, `Summary.Value`, `SummaryMetadata`, `TensorProto` (string and float scalars) and the
 * HParams plugin's `HParamsPluginData`. Field numbers follow tensorboard's
 * `compat/proto/event.proto`, `summary.proto`, `tensor.proto` and `plugins/hparams/plugin_data.proto`.
 *
 * @packageDocumentation
 */

const utf8 = new TextEncoder();

/** A message under construction: a list of byte chunks. */
class Msg {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.size += bytes.length;
    return this;
  }

  /** A field key: `(field << 3) | wireType`. */
  private key(field: number, wire: number): this {
    return this.push(varint((field << 3) | wire));
  }

  uint(field: number, value: number | bigint): this {
    return this.key(field, 0).push(varint(value));
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.key(field, 1).push(b);
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, 5).push(b);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).push(varint(value.length)).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, value: Msg): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * Protobuf base-128 varint of a non-negative integer, or of a negative one as its 64-bit two's
 * complement (ten bytes), as `int64` fields encode it.
 * @example `varint(300)` → `[0xac, 0x02]`
 */
export function varint(value: number | bigint): Uint8Array {
  if (typeof value === "number" && value >= 0 && value < 0x80000000) {
    const out: number[] = [];
    let v = value;
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Uint8Array.from(out);
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

/** `Event { wall_time = 1; file_version = 3 }`: the first record of every event file. */
export function fileVersionEvent(wallTimeSeconds: number): Uint8Array {
  return new Msg().double(1, wallTimeSeconds).string(3, "brain.Event:2").finish();
}

/** The encoded `tag` field of a `Summary.Value` (field 1), reusable across events of one metric. */
export function encodeTag(tag: string): Uint8Array {
  return new Msg().string(1, tag).finish();
}

/**
 * `Event { wall_time = 1; step = 2; summary = 5 { value = 1 { tag = 1; simple_value = 2 } } }`,
 * written into `out` at `at`; returns the end offset. `tagField` comes from `encodeTag`.
 * The caller guarantees `out` has room for `scalarEventMaxSize(tagField)` bytes.
 */
export function writeScalarEvent(
  out: Uint8Array,
  view: DataView,
  at: number,
  tagField: Uint8Array,
  wallTimeSeconds: number,
  step: number,
  value: number,
): number {
  let p = at;
  out[p++] = 0x09; // field 1, fixed64
  view.setFloat64(p, wallTimeSeconds, true);
  p += 8;
  if (step !== 0) {
    out[p++] = 0x10; // field 2, varint
    const v = varint(step);
    out.set(v, p);
    p += v.length;
  }
  const valueLen = tagField.length + 5; // tag + (key byte 0x15 + float32)
  const summaryLen = 1 + varint(valueLen).length + valueLen;
  out[p++] = 0x2a; // field 5, length-delimited
  p = putVarint(out, p, summaryLen);
  out[p++] = 0x0a; // Summary.value, field 1
  p = putVarint(out, p, valueLen);
  out.set(tagField, p);
  p += tagField.length;
  out[p++] = 0x15; // simple_value, field 2, fixed32
  view.setFloat32(p, value, true);
  return p + 4;
}

/** An upper bound on the size of what `writeScalarEvent` writes. */
export function scalarEventMaxSize(tagField: Uint8Array): number {
  return 1 + 8 + 1 + 10 + 1 + 5 + 1 + 5 + tagField.length + 5;
}

function putVarint(out: Uint8Array, at: number, value: number): number {
  let p = at;
  let v = value;
  while (v > 0x7f) {
    out[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[p++] = v;
  return p;
}

/** `SummaryMetadata { plugin_data = 1 { plugin_name = 1; content = 2 } }`. */
function pluginMetadata(pluginName: string, content: Uint8Array): Msg {
  const data = new Msg().string(1, pluginName);
  if (content.length > 0) data.bytes(2, content);
  return new Msg().message(1, data);
}

/** An `Event` holding one `Summary.Value` built by the caller. */
function summaryEvent(wallTimeSeconds: number, step: number, value: Msg): Uint8Array {
  const e = new Msg().double(1, wallTimeSeconds);
  if (step !== 0) e.uint(2, step);
  return e.message(5, new Msg().message(1, value)).finish();
}

/**
 * A text summary (the Text plugin): a scalar `DT_STRING` tensor, as `tf.summary.text` writes.
 * @example `textEvent(Date.now() / 1000, 0, "tags/team", "vision")`
 */
export function textEvent(wallTimeSeconds: number, step: number, tag: string, text: string): Uint8Array {
  const tensor = new Msg().uint(1, 7 /* DT_STRING */).message(2, new Msg()).string(8, text);
  const value = new Msg()
    .string(1, tag)
    .message(9, pluginMetadata("text", new Uint8Array(0)))
    .message(8, tensor);
  return summaryEvent(wallTimeSeconds, step, value);
}

/** A value of an hparam: protobuf's `google.protobuf.Value` (number 2, string 3, bool 4). */
export type HParamValue = number | string | boolean;

function hparamsEvent(wallTimeSeconds: number, tag: string, pluginData: Msg): Uint8Array {
  // The HParams plugin reads only the metadata; the tensor is a float scalar placeholder.
  const tensor = new Msg().uint(1, 1 /* DT_FLOAT */).message(2, new Msg()).float(5, 0);
  const value = new Msg().string(1, tag).message(9, pluginMetadata("hparams", pluginData.finish())).message(8, tensor);
  return summaryEvent(wallTimeSeconds, 0, value);
}

/**
 * `_hparams_/session_start_info`: `HParamsPluginData { version = 1: 0; session_start_info = 3 {
 * hparams = 1 (map<string, Value>); group_name = 4; start_time_secs = 5 } }`.
 */
export function sessionStartEvent(
  wallTimeSeconds: number,
  hparams: Readonly<Record<string, HParamValue>>,
  groupName: string,
  startTimeSecs: number,
): Uint8Array {
  const info = new Msg();
  for (const [k, v] of Object.entries(hparams)) {
    const val = new Msg();
    if (typeof v === "number") val.double(2, v);
    else if (typeof v === "boolean") val.uint(4, v ? 1 : 0);
    else val.string(3, v);
    info.message(1, new Msg().string(1, k).message(2, val));
  }
  info.string(4, groupName).double(5, startTimeSecs);
  return hparamsEvent(wallTimeSeconds, "_hparams_/session_start_info", new Msg().message(3, info));
}

/** HParams plugin `Status`: UNKNOWN 0, SUCCESS 1, FAILURE 2, RUNNING 3. */
export type SessionStatus = 0 | 1 | 2 | 3;

/** `_hparams_/session_end_info`: `HParamsPluginData { session_end_info = 4 { status = 1; end_time_secs = 2 } }`. */
export function sessionEndEvent(wallTimeSeconds: number, status: SessionStatus, endTimeSecs: number): Uint8Array {
  const info = new Msg().uint(1, status).double(2, endTimeSecs);
  return hparamsEvent(wallTimeSeconds, "_hparams_/session_end_info", new Msg().message(4, info));
}
