/**
 * IEEE half-precision conversion (Node 20 has no Float16Array): round-to-nearest-even, as
 * PyTorch's `.half()` and numpy's `astype(float16)` do, so fp16 graphs hold the same bits.
 */
const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

export function toFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return out;
}

export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16Value(bits[i]!);
  return out;
}

/** Values rounded through fp16 and back: what an fp16 graph actually multiplies by. */
export function roundThroughFloat16(values: Float32Array): Float32Array {
  return fromFloat16Bits(toFloat16Bits(values));
}

function float16Bits(value: number): number {
  floatView[0] = value;
  const x = bitsView[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: shift the full mantissa (with its implicit 1) into place, rounding to even.
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = full & ((1 << shift) - 1);
    let result = full >>> shift;
    if (rest > half || (rest === half && (result & 1) === 1)) result++;
    return sign | result;
  }
  let result = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

function float16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
