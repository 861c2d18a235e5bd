import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SafetensorsWriter,
  encodeFloats,
  floatToHalf,
} from '../../../native-models/checkpoint/safetensors-writer.ts';
import { halfToFloat, toFloat32 } from '../../../native-models/checkpoint/safetensors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-st-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function f32Bits(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

function halves(bytes: Uint8Array): number[] {
  return [...new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)];
}

const isHalfNaN = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe('floatToHalf / halfToFloat', () => {
  it('decode known bit patterns (subnormals, extremes, signed zero, infinities)', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('every one of the 65536 half values survives decode → encode unchanged (NaN stays NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const back = floatToHalf(halfToFloat(h));
      if (isHalfNaN(h)) expect(isHalfNaN(back), h.toString(16)).toBe(true);
      else if (back !== h) expect(back.toString(16), `half ${h.toString(16)}`).toBe(h.toString(16));
    }
  });

  it('rounds to nearest, ties to even, in the normal and subnormal ranges', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 (even) and 1 + 2^-10
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 (even)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(floatToHalf(2049)).toBe(0x6800); // 2048
    expect(floatToHalf(2051)).toBe(0x6802); // 2052
    expect(floatToHalf(0.1)).toBe(0x2e66);
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // tie between 0 (even) and the smallest subnormal
    expect(floatToHalf(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(floatToHalf(1.5 * 2 ** -24)).toBe(0x0002);
    expect(floatToHalf(2.5 * 2 ** -24)).toBe(0x0002);
    expect(floatToHalf(1023.5 * 2 ** -24)).toBe(0x0400); // largest subnormal rounds up into the normals
    expect(floatToHalf(2 ** -26)).toBe(0x0000);
    expect(floatToHalf(-(2 ** -26))).toBe(0x8000);
  });

  it('overflows to infinity exactly past the largest half', () => {
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65519)).toBe(0x7bff);
    expect(floatToHalf(65520)).toBe(0x7c00); // tie with the next binade: rounds to even = inf
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(isHalfNaN(floatToHalf(NaN))).toBe(true);
  });
});

describe('encodeFloats', () => {
  it('F32 is the raw little-endian bits, NaN payloads and -0 included', () => {
    const values = new Float32Array(4);
    new Uint32Array(values.buffer).set([0x7f800001, 0x80000000, 0x00000001, 0x3f800000]);
    const bytes = encodeFloats(values, 'F32');
    expect(f32Bits(new Float32Array(bytes.slice().buffer))).toEqual([
      0x7f800001, 0x80000000, 0x00000001, 0x3f800000,
    ]);
  });

  it('F16 matches floatToHalf element by element', () => {
    const values = Float32Array.from([0, -0, 1, 0.1, 65520, 2 ** -25, 1 + 3 * 2 ** -11, -Infinity]);
    expect(halves(encodeFloats(values, 'F16'))).toEqual([...values].map(floatToHalf));
  });

  it('BF16: every one of the 65536 values survives decode → encode unchanged (NaN stays NaN)', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const decoded = toFloat32(Buffer.from(all.buffer), 'BF16');
    const back = halves(encodeFloats(decoded, 'BF16'));
    for (let b = 0; b < 0x10000; b++) {
      const nan = (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
      if (nan)
        expect((back[b]! & 0x7f80) === 0x7f80 && (back[b]! & 0x7f) !== 0, b.toString(16)).toBe(
          true,
        );
      else if (back[b] !== b)
        expect(back[b]!.toString(16), `bf16 ${b.toString(16)}`).toBe(b.toString(16));
    }
  });

  it('BF16 rounds to nearest, ties to even, and keeps NaN payloads NaN', () => {
    const values = new Float32Array(8);
    values.set([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 0.1, 3.4028234663852886e38]);
    // NaNs whose payload lives only in the low 16 bits: truncation alone would give inf or -0.
    new Uint32Array(values.buffer, 5 * 4).set([0x7f800001, 0x7fffffff, 0xff800001]);
    const out = halves(encodeFloats(values, 'BF16'));
    expect(out.slice(0, 5)).toEqual([0x3f80, 0x3f82, 0x3f81, 0x3dcd, 0x7f80]);
    for (const nan of out.slice(5))
      expect((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0, nan.toString(16)).toBe(true);
  });
});

describe('SafetensorsWriter', () => {
  it('writes an 8-byte-aligned JSON header with metadata, then the tensors in order', () => {
    const path = join(tmp, 'layout.safetensors');
    const w = new SafetensorsWriter(
      path,
      [
        { name: 'b', dtype: 'F32', shape: [2] },
        { name: 'a', dtype: 'U8', shape: [3] },
      ],
      { format: 'pt', note: 'x' },
    );
    w.write(encodeFloats(Float32Array.from([1, 2]), 'F32'));
    w.write(Uint8Array.from([7, 8, 9]));
    w.close();
    const file = readFileSync(path);
    const headerLength = Number(file.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(header).toEqual({
      __metadata__: { format: 'pt', note: 'x' },
      b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      a: { dtype: 'U8', shape: [3], data_offsets: [8, 11] },
    });
    expect([...file.subarray(8 + headerLength)]).toEqual([
      0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 7, 8, 9,
    ]);
  });

  it('rejects a tensor of the wrong size, extra tensors, missing tensors and unwritable dtypes', () => {
    const path = join(tmp, 'errors.safetensors');
    const w = new SafetensorsWriter(path, [{ name: 'only', dtype: 'F16', shape: [2, 2] }]);
    expect(() => w.write(new Uint8Array(6))).toThrow(/only: 6 bytes written, 8 declared/);
    w.write(new Uint8Array(8));
    expect(() => w.write(new Uint8Array(8))).toThrow(/more tensors written than declared/);
    w.close();
    const short = new SafetensorsWriter(join(tmp, 'short.safetensors'), [
      { name: 'x', dtype: 'F32', shape: [1] },
      { name: 'y', dtype: 'F32', shape: [1] },
    ]);
    short.write(new Uint8Array(4));
    expect(() => short.close()).toThrow(/1 declared tensors were never written/);
    expect(
      () =>
        new SafetensorsWriter(join(tmp, 'f64.safetensors'), [
          { name: 'd', dtype: 'F64', shape: [1] },
        ]),
    ).toThrow(/cannot write dtype F64/);
  });
});
