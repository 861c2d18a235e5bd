/**
 * IEEE 754 half precision (binary16), little-endian, the storage format of `embeddings.vectors`.
 * Node 20 has no Float16Array, so this converts by hand: encoding rounds to nearest-even (what
 * PyTorch's `.half()` does), decoding goes through a 65,536-entry table because the exact engine
 * and candidate rescoring decode millions of values per query.
 */
import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

// Shared scratch for reading a float32's bits without allocating per value.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToHalfBits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Inf stays Inf; NaN keeps a quiet mantissa bit so it cannot turn into Inf.
    return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large: overflows to Inf
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to even.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

export function halfBitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Float32 value of every half bit pattern (index with the Uint16 word). */
export const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = halfBitsToFloat32(i);
  return table;
})();

export function encodeFp16(values: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(values.length * 2);
  if (LITTLE_ENDIAN_HOST && out.byteOffset % 2 === 0) {
    const words = new Uint16Array(out.buffer, out.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) words[i] = float32ToHalfBits(values[i]!);
  } else {
    for (let i = 0; i < values.length; i++) out.writeUInt16LE(float32ToHalfBits(values[i]!), i * 2);
  }
  return out;
}

/** Half-precision bits of `blob` as Uint16s, without copying when alignment and endianness allow. */
export function halfWords(blob: Uint8Array): Uint16Array {
  if (blob.byteLength % 2 !== 0) {
    throw new RangeError(`fp16 blob has an odd byte length (${blob.byteLength})`);
  }
  const count = blob.byteLength / 2;
  if (LITTLE_ENDIAN_HOST && blob.byteOffset % 2 === 0) {
    return new Uint16Array(blob.buffer, blob.byteOffset, count);
  }
  const words = new Uint16Array(count);
  for (let i = 0; i < count; i++) words[i] = blob[2 * i]! | (blob[2 * i + 1]! << 8);
  return words;
}

/** Decodes into `out` at `offset` (no allocation: the exact engine fills one big matrix). */
export function decodeFp16Into(blob: Uint8Array, out: Float32Array, offset = 0): number {
  const words = halfWords(blob);
  if (offset < 0 || offset + words.length > out.length) {
    throw new RangeError(`fp16 decode of ${words.length} values does not fit at ${offset}`);
  }
  for (let i = 0; i < words.length; i++) out[offset + i] = HALF_TO_FLOAT[words[i]!]!;
  return words.length;
}

export function decodeFp16(blob: Uint8Array): Float32Array {
  const out = new Float32Array(blob.byteLength >>> 1);
  decodeFp16Into(blob, out, 0);
  return out;
}
