import { describe, expect, it } from 'vitest';
import {
  dequantizeBlockwise,
  packZeroPoints,
  quantizeBlockwise,
  type QuantBits,
} from '../../../../native-models/builder/quantize/block-quantize.ts';
import {
  dequantizePerColumnInt8,
  quantizePerColumnInt8,
} from '../../../../native-models/builder/quantize/per-column.ts';
import {
  fromFloat16Bits,
  toFloat16Bits,
} from '../../../../native-models/builder/quantize/float16.ts';
import { gaussian, relativeL2 } from '../../../support/one-graph.ts';

describe('quantizeBlockwise (round to nearest)', () => {
  for (const bits of [4, 8] as QuantBits[]) {
    for (const scheme of ['asymmetric', 'symmetric'] as const) {
      it(`${bits}-bit ${scheme}: every value within half a step of its block`, () => {
        // 70 columns: two full blocks of 32 and a padded third, so the tail is exercised.
        const rows = 5;
        const cols = 70;
        const w = gaussian(rows * cols, 0.05, 11);
        const q = quantizeBlockwise(w, rows, cols, bits, 32, scheme);
        const back = dequantizeBlockwise(q);
        expect(q.blocksPerRow).toBe(3);
        expect(q.packed.length).toBe(rows * 3 * ((32 * bits) / 8));
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const scale = q.scales[r * 3 + Math.floor(c / 32)]!;
            // Rounding to nearest: |error| ≤ step/2 (plus float rounding of the product).
            expect(Math.abs(back[r * cols + c]! - w[r * cols + c]!)).toBeLessThanOrEqual(
              scale / 2 + 1e-7,
            );
          }
        }
      });
    }
  }

  it('a block of zeros stays exactly zero, and a constant block is exact', () => {
    const w = new Float32Array(64);
    w.fill(0.25, 32);
    const q = quantizeBlockwise(w, 1, 64, 4, 32, 'asymmetric');
    expect(Array.from(dequantizeBlockwise(q))).toEqual(Array.from(w));
  });

  it('packs 4-bit codes and zero points two per byte, low nibble first', () => {
    const w = new Float32Array(32 * 3);
    w[1] = 1; // first block: code 15 at index 1, zero point 0
    const q = quantizeBlockwise(w, 1, 96, 4, 32, 'asymmetric');
    expect(q.packed[0]).toBe(0xf0);
    const zp = packZeroPoints({ ...q, zeroPoints: Uint8Array.from([1, 2, 3]) });
    // 3 blocks → 2 bytes per row: (2<<4)|1, then 3 in a low nibble.
    expect(Array.from(zp)).toEqual([0x21, 0x03]);
  });

  it('int4 and int8 errors on Gaussian weights stay in the measured bands', () => {
    const w = gaussian(64 * 256, 0.02, 3);
    const e4 = relativeL2(
      dequantizeBlockwise(quantizeBlockwise(w, 64, 256, 4, 32, 'asymmetric')),
      w,
    );
    const e8 = relativeL2(
      dequantizeBlockwise(quantizeBlockwise(w, 64, 256, 8, 32, 'asymmetric')),
      w,
    );
    // Uniform rounding noise: step/√12 per value; a 4-bit step over ~±2.3σ of a 32-block is
    // ~0.3σ → ~9 % relative, 8 bits 16× finer. Bounds with margin, not measured values.
    expect(e4).toBeLessThan(0.12);
    expect(e4).toBeGreaterThan(0.03);
    expect(e8).toBeLessThan(0.008);
  });
});

describe('quantizePerColumnInt8', () => {
  it('stores Wᵀ with one symmetric scale per output channel', () => {
    const rows = 6;
    const cols = 40;
    const w = gaussian(rows * cols, 0.1, 5);
    const q = quantizePerColumnInt8(w, rows, cols);
    const back = dequantizePerColumnInt8(q);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(w[r * cols + c]!));
      expect(q.scales[r]).toBeCloseTo(max / 127, 9);
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(back[r * cols + c]! - w[r * cols + c]!)).toBeLessThanOrEqual(
          q.scales[r]! / 2 + 1e-7,
        );
      }
    }
  });
});

describe('float16 bits', () => {
  it('round-trips known values and rounds to nearest even', () => {
    const values = Float32Array.from([0, -0, 1, -2, 65504, 1e5, 6.1035156e-5, 5.96e-8, 1e-9, 0.1]);
    const bits = Array.from(toFloat16Bits(values));
    expect(bits).toEqual([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0400, 0x0001, 0x0000, 0x2e66,
    ]);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(Array.from(toFloat16Bits(Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11])))).toEqual([
      0x3c00, 0x3c02,
    ]);
    expect(Array.from(fromFloat16Bits(Uint16Array.from([0x3c00, 0x7bff, 0x0001, 0xfc00])))).toEqual(
      [1, 65504, 2 ** -24, -Infinity],
    );
  });
});
