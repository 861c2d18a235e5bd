import type { DecodingSetup, GenerationResult } from './generation-types.ts';
import type { RandomSource } from './random.ts';
import { softmax } from './score-math.ts';
import { decodeTokenByToken } from './token-by-token.ts';

/**
 * Draws one token from softmax(scores) (HF: `torch.multinomial(softmax(scores), 1)`), using one
 * uniform number from `random`. Tokens at -Infinity have probability 0 and are never drawn.
 */
export function sampleToken(scores: Float64Array, random: RandomSource): number {
  const probs = softmax(scores);
  const target = random();
  let cumulative = 0;
  let lastPossible = -1;
  for (let id = 0; id < probs.length; id++) {
    const p = probs[id]!;
    if (p <= 0) continue;
    cumulative += p;
    lastPossible = id;
    if (target < cumulative) return id;
  }
  // Rounding can leave the cumulative sum just below 1; fall back to the last drawable token.
  if (lastPossible < 0) throw new Error('cannot sample: every token has probability 0');
  return lastPossible;
}

/**
 * HF multinomial sampling (`do_sample=True, num_beams=1`) with a seeded source. Rows draw in row
 * order at every step from one shared stream, so a batch is reproducible for a seed but does not
 * equal the same rows sampled one at a time (same as torch's global generator).
 */
export function sampleSearch(
  setup: DecodingSetup,
  random: RandomSource,
  samplesPerRow = 1,
): Promise<GenerationResult> {
  return decodeTokenByToken(setup, (scores) => sampleToken(scores, random), samplesPerRow);
}
