import { describe, expect, it } from 'vitest';
import {
  LogitsProcessorList,
  minNewTokens,
  noRepeatNgram,
  repetitionPenalty,
  temperature,
  topK,
  topP,
} from '../../../../src-main/engine/generation/logits-processors.ts';
import type { TokenHistory } from '../../../../src-main/engine/generation/token-history.ts';

const history = (tokenIds: number[], newTokenCount = 0): TokenHistory => ({
  tokenIds,
  newTokenCount,
});
const run = (
  processor: { apply(s: Float64Array, h: TokenHistory): void },
  scores: number[],
  h: TokenHistory = history([]),
): number[] => {
  const row = Float64Array.from(scores);
  processor.apply(row, h);
  return Array.from(row);
};

describe('repetitionPenalty', () => {
  it('divides positive (and zero) scores, multiplies negative ones, once per distinct id', () => {
    expect(run(repetitionPenalty(2), [2, -2, 0, 4, 1], history([0, 1, 2, 0, 0]))).toEqual([
      1, -4, 0, 4, 1,
    ]);
  });

  it('counts seen prompt ids and generated ids alike, ignoring ids outside the vocabulary', () => {
    expect(run(repetitionPenalty(1.5), [3, 3, 3], history([2, 99, 0], 1))).toEqual([2, 3, 2]);
  });
});

describe('minNewTokens', () => {
  it('bans every EOS id until enough new tokens exist', () => {
    const processor = minNewTokens(2, [1, 3]);
    expect(run(processor, [0, 1, 2, 3], history([5, 6], 1))).toEqual([0, -Infinity, 2, -Infinity]);
    expect(run(processor, [0, 1, 2, 3], history([5, 6, 7], 2))).toEqual([0, 1, 2, 3]);
  });
});

describe('noRepeatNgram', () => {
  it('bans the token that would repeat an n-gram of the whole history', () => {
    expect(run(noRepeatNgram(3), [0, 0, 0, 0, 0], history([1, 2, 3, 1, 2]))).toEqual([
      0,
      0,
      0,
      -Infinity,
      0,
    ]);
    expect(run(noRepeatNgram(2), [0, 0, 0, 0, 0, 0], history([5, 1, 5, 2, 5]))).toEqual([
      0,
      -Infinity,
      -Infinity,
      0,
      0,
      0,
    ]);
  });

  it('bans every seen token for size 1 and nothing while the history is too short', () => {
    expect(run(noRepeatNgram(1), [0, 0, 0, 0], history([3, 1]))).toEqual([
      0,
      -Infinity,
      0,
      -Infinity,
    ]);
    expect(run(noRepeatNgram(3), [0, 0, 0], history([1]))).toEqual([0, 0, 0]);
  });
});

describe('sampling warpers', () => {
  it('temperature divides', () => {
    expect(run(temperature(2), [2, 4, -1])).toEqual([1, 2, -0.5]);
  });

  it('top-k keeps ties at the boundary and honours minTokensToKeep', () => {
    expect(run(topK(2), [1, 3, 3, 2, 0])).toEqual([-Infinity, 3, 3, -Infinity, -Infinity]);
    expect(run(topK(3), [1, 3, 3, 2, 0])).toEqual([-Infinity, 3, 3, 2, -Infinity]);
    expect(run(topK(1, 3), [1, 5, 0, 2])).toEqual([1, 5, -Infinity, 2]);
    expect(run(topK(10), [1, 2])).toEqual([1, 2]);
  });

  it('top-p removes the low tail whose cumulative probability is <= 1 - p', () => {
    const logits = [0.5, 0.3, 0.15, 0.05].map(Math.log);
    expect(run(topP(0.75), logits).map(Number.isFinite)).toEqual([true, true, false, false]);
    expect(run(topP(0.9), logits).map(Number.isFinite)).toEqual([true, true, true, false]);
    expect(run(topP(0.3), logits).map(Number.isFinite)).toEqual([true, false, false, false]);
    expect(run(topP(0.3, 3), logits).map(Number.isFinite)).toEqual([true, true, true, false]);
    expect(run(topP(1), logits)).toEqual(logits);
  });
});

describe('LogitsProcessorList', () => {
  it('applies processors in order', () => {
    const list = new LogitsProcessorList([repetitionPenalty(2), temperature(0.5)]);
    expect(run(list, [4, -1], history([0, 1]))).toEqual([4, -4]);
    const reversed = new LogitsProcessorList([temperature(0.5), minNewTokens(1, [0])]);
    expect(run(reversed, [4, -1], history([], 0))).toEqual([-Infinity, -2]);
  });
});
