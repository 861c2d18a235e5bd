import { describe, expect, it } from 'vitest';
import { topIndices } from '../../../../src-main/engine/generation/top-indices.ts';

describe('topIndices', () => {
  it('returns the indices of the largest values, best first, lower index first on ties', () => {
    expect(topIndices([0.1, 5, -Infinity, 5, 3, 7], 3)).toEqual([5, 1, 3]);
    expect(topIndices([2, 1], 5)).toEqual([0, 1]);
    expect(topIndices([-Infinity, -Infinity], 1)).toEqual([0]);
  });

  it('agrees with a full sort on random data', () => {
    const values = Array.from({ length: 500 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const expected = values
      .map((value, index) => ({ value, index }))
      .sort((a, b) => b.value - a.value || a.index - b.index)
      .slice(0, 17)
      .map((entry) => entry.index);
    expect(topIndices(values, 17)).toEqual(expected);
  });
});
