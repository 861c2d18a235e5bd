import { describe, expect, it } from 'vitest';
import {
  decodeFp16,
  decodeFp16Into,
  encodeFp16,
  float32ToHalfBits,
  halfBitsToFloat32,
} from '../../../../src-main/library/vector/fp16.ts';

describe('fp16', () => {
  it('encodes known values to their IEEE half bit patterns', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [65520, 0x7c00], // rounds up to Infinity
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half of it: ties to even (zero)
      [3 * 2 ** -25, 0x0002], // 1.5 ulp: ties to even (2)
      [2 ** -14, 0x0400], // smallest normal
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and next: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+ulp and 1+2ulp: to even (1+2ulp)
    ];
    for (const [value, bits] of cases) expect(float32ToHalfBits(value), `${value}`).toBe(bits);
    expect(float32ToHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToHalfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every half value exactly', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const value = halfBitsToFloat32(bits);
      if (Number.isNaN(value)) continue;
      expect(float32ToHalfBits(value)).toBe(bits);
    }
  });

  it('rounds random floats to the nearest half', () => {
    const values = new Float32Array(2000).map((_, i) => Math.sin(i * 12.9898) * 3);
    const decoded = decodeFp16(encodeFp16(values));
    for (let i = 0; i < values.length; i++) {
      // Half has 11 significant bits: relative error at most 2^-11.
      expect(Math.abs(decoded[i]! - values[i]!)).toBeLessThanOrEqual(
        Math.abs(values[i]!) * 2 ** -11,
      );
    }
  });

  it('writes little-endian bytes and decodes unaligned buffers', () => {
    const blob = encodeFp16(new Float32Array([1, -2]));
    expect([...blob]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    const unaligned = Buffer.alloc(5);
    blob.copy(unaligned, 1);
    expect([...decodeFp16(unaligned.subarray(1))]).toEqual([1, -2]);
  });

  it('decodes into an offset and rejects malformed input', () => {
    const out = new Float32Array(4);
    expect(decodeFp16Into(encodeFp16(new Float32Array([0.25, 4])), out, 2)).toBe(2);
    expect([...out]).toEqual([0, 0, 0.25, 4]);
    expect(() => decodeFp16(Buffer.alloc(3))).toThrow(/odd byte length/);
    expect(() => decodeFp16Into(Buffer.alloc(8), out, 1)).toThrow(/does not fit/);
  });
});
