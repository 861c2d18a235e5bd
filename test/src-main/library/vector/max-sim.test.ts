import { describe, expect, it } from 'vitest';
import {
  decodeFp16,
  encodeFp16,
  HALF_TO_FLOAT,
  halfWords,
} from '../../../../src-main/library/vector/fp16.ts';
import {
  compareHits,
  dotAt,
  maxSim,
  maxSimHalf,
  pooledVector,
  TopK,
} from '../../../../src-main/library/vector/max-sim.ts';

describe('max-sim helpers', () => {
  it('computes dot products at an offset for any width (unrolled loop tail included)', () => {
    for (const width of [1, 3, 4, 7, 16]) {
      const query = Float32Array.from({ length: width }, (_, i) => i + 1);
      const matrix = Float32Array.from({ length: width * 2 }, (_, i) => (i % 3) - 1);
      let expected = 0;
      for (let i = 0; i < width; i++) expected += matrix[width + i]! * query[i]!;
      expect(dotAt(matrix, width, query)).toBe(expected);
    }
  });

  it('takes the maximum over rows', () => {
    const matrix = new Float32Array([1, 0, 0, 1, -1, 0]);
    expect(maxSim(matrix, 0, 3, new Float32Array([0.2, 0.9]))).toBeCloseTo(0.9);
    expect(maxSim(matrix, 2, 2, new Float32Array([-1, 0]))).toBeCloseTo(1);
  });

  it('pools to a unit-length mean and keeps a zero mean at zero', () => {
    const out = new Float32Array(3);
    pooledVector(new Float32Array([1, 0, 0, 1]), 2, 2, out, 1);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(Math.SQRT1_2);
    expect(out[2]).toBeCloseTo(Math.SQRT1_2);
    pooledVector(new Float32Array([1, 0, -1, 0]), 2, 2, out, 0);
    expect([out[0], out[1]]).toEqual([0, 0]);
  });

  it('TopK keeps the same hits as a full sort, ties broken by photo id', () => {
    const hits = Array.from({ length: 500 }, (_, i) => ({
      photoId: (i * 7919) % 1000,
      score: Math.round(Math.sin(i) * 20) / 20, // many ties
    }));
    for (const k of [1, 5, 50, 600]) {
      const top = new TopK(k);
      for (const hit of hits) top.offer(hit.photoId, hit.score);
      expect(top.results()).toEqual([...hits].sort(compareHits).slice(0, k));
    }
  });
});

describe('maxSimHalf', () => {
  it('scores fp16 words bit-identically to maxSim on the decoded matrix', () => {
    const rows = 5;
    const width = 13;
    const values = Float32Array.from({ length: rows * width }, (_, i) => Math.cos(i * 1.7));
    const blob = encodeFp16(values);
    const query = Float32Array.from({ length: width }, (_, i) => Math.sin(i * 0.3));
    expect(maxSimHalf(halfWords(blob), rows, query, HALF_TO_FLOAT)).toBe(
      maxSim(decodeFp16(blob), 0, rows, query),
    );
  });
});
