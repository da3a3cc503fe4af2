/**
 * The TensorBoard target's byte-level pieces against published vectors: CRC-32C (RFC 3720's
 * check values), protobuf varints (including int64 negatives), folder names from user names.
 * The full files are checked by TensorBoard's own reader in test/e2e/tensorboard-export.test.ts.
 */
import { describe, expect, it } from "vitest";
import { crc32c, maskedCrc32c } from "../../src/targets/tensorboard/crc32c.js";
import { folderName } from "../../src/targets/tensorboard/layout.js";
import { varint } from "../../src/targets/tensorboard/proto.js";

describe("crc32c", () => {
  it("matches the CRC-32C check values", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
  });

  it("masks as TFRecord does and honours the range", () => {
    const crc = crc32c(Buffer.from("123456789"));
    expect(maskedCrc32c(Buffer.from("xx123456789yy"), 2, 11)).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});

describe("varint", () => {
  it("encodes small, large and negative int64 values", () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 40)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    expect([...varint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe("folderName", () => {
  it("keeps one path segment", () => {
    expect(folderName("cv/fold 1")).toBe("cv_fold 1");
    expect(folderName("..")).toBe("_");
    expect(folderName("")).toBe("_");
    expect(folderName("naïve λ")).toBe("naïve λ");
  });
});
