import { describe, expect, it } from 'vitest';
import { createRandomSource } from '../../../../src-main/engine/generation/random.ts';
import { sampleToken } from '../../../../src-main/engine/generation/sample.ts';

describe('createRandomSource', () => {
  it('is reproducible per seed, different across seeds, and in [0, 1)', () => {
    const draw = (seed: number): number[] => {
      const random = createRandomSource(seed);
      return Array.from({ length: 1000 }, () => random());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const value of draw(7)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    const mean = draw(7).reduce((a, b) => a + b, 0) / 1000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });
});

describe('sampleToken', () => {
  it('draws tokens with their softmax probabilities', () => {
    const probs = [0.1, 0.2, 0.7, 0];
    const scores = Float64Array.from(probs.map(Math.log));
    const random = createRandomSource(1);
    const counts = [0, 0, 0, 0];
    const draws = 20000;
    for (let i = 0; i < draws; i++) counts[sampleToken(scores, random)]!++;
    counts.forEach((count, id) => expect(Math.abs(count / draws - probs[id]!)).toBeLessThan(0.015));
    expect(counts[3]).toBe(0);
  });

  it('never draws a token at -Infinity, even when the uniform draw is ~1', () => {
    const scores = Float64Array.from([-Infinity, 0, -Infinity]);
    expect(sampleToken(scores, () => 0.9999999999)).toBe(1);
    expect(sampleToken(scores, () => 0)).toBe(1);
    expect(() => sampleToken(Float64Array.from([-Infinity]), () => 0.5)).toThrow();
  });
});
