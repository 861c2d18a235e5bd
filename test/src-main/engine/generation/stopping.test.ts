import { describe, expect, it } from 'vitest';
import {
  eosTokenCriterion,
  maxNewTokensCriterion,
  StoppingCriteriaList,
} from '../../../../src-main/engine/generation/stopping.ts';

describe('stopping criteria', () => {
  it('max new tokens counts generated tokens only', () => {
    const criterion = maxNewTokensCriterion(2);
    expect(criterion.isDone({ tokenIds: [9, 9, 9, 4], newTokenCount: 1 })).toBe(false);
    expect(criterion.isDone({ tokenIds: [9, 9, 9, 4, 5], newTokenCount: 2 })).toBe(true);
  });

  it('EOS is a set of ids checked against the last generated token only', () => {
    const criterion = eosTokenCriterion([196, 2]);
    expect(criterion.isDone({ tokenIds: [5, 196], newTokenCount: 1 })).toBe(true);
    expect(criterion.isDone({ tokenIds: [5, 2], newTokenCount: 1 })).toBe(true);
    expect(criterion.isDone({ tokenIds: [196, 5], newTokenCount: 1 })).toBe(false);
    // A prompt ending in an EOS id does not stop before anything was generated.
    expect(criterion.isDone({ tokenIds: [5, 2], newTokenCount: 0 })).toBe(false);
  });

  it('a list stops when any criterion does', () => {
    const list = new StoppingCriteriaList([maxNewTokensCriterion(3), eosTokenCriterion([7])]);
    expect(list.isDone({ tokenIds: [1, 7], newTokenCount: 1 })).toBe(true);
    expect(list.isDone({ tokenIds: [1, 2, 3, 4], newTokenCount: 3 })).toBe(true);
    expect(list.isDone({ tokenIds: [1, 2], newTokenCount: 1 })).toBe(false);
    expect(new StoppingCriteriaList().isDone({ tokenIds: [1], newTokenCount: 1 })).toBe(false);
  });
});
