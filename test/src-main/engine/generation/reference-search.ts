import type { ToyLanguageModel } from './toy-language-model.ts';

/**
 * Deliberately naive references for the tests: they recompute the toy model's logits from the
 * full token history (no cache, no batching, no masks) and share no code with the implementation.
 */

function referenceLogSoftmax(logits: Float32Array): number[] {
  const values = Array.from(logits);
  const max = Math.max(...values);
  const logSum = max + Math.log(values.reduce((sum, value) => sum + Math.exp(value - max), 0));
  return values.map((value) => value - logSum);
}

function firstArgmax(values: readonly number[]): number {
  return values.reduce((best, value, index) => (value > values[best]! ? index : best), 0);
}

export interface ReferenceGreedyOptions {
  maxNewTokens: number;
  eosTokenIds: readonly number[];
  /** HF repetition penalty over `seen` + generated ids. */
  repetitionPenalty?: number;
  seen?: readonly number[];
}

export function referenceGreedy(
  model: ToyLanguageModel,
  prompt: readonly number[],
  options: ReferenceGreedyOptions,
): number[] {
  const generated: number[] = [];
  while (generated.length < options.maxNewTokens) {
    const scores = Array.from(model.logitsFor([...prompt, ...generated]));
    const penalty = options.repetitionPenalty;
    if (penalty !== undefined) {
      for (const id of new Set([...(options.seen ?? []), ...generated])) {
        scores[id] = scores[id]! < 0 ? scores[id]! * penalty : scores[id]! / penalty;
      }
    }
    const token = firstArgmax(scores);
    generated.push(token);
    if (options.eosTokenIds.includes(token)) break;
  }
  return generated;
}

export interface ScoredHypothesis {
  tokens: number[];
  score: number;
}

/**
 * Every sequence beam search could return: those ending with an EOS id, and those cut at
 * `maxNewTokens`; scored as HF does, sum(log-probs) / (new tokens incl. EOS) ** lengthPenalty.
 * Sorted best first.
 */
export function exhaustiveHypotheses(
  model: ToyLanguageModel,
  prompt: readonly number[],
  maxNewTokens: number,
  eosTokenIds: readonly number[],
  lengthPenalty: number,
): ScoredHypothesis[] {
  const found: ScoredHypothesis[] = [];
  const visit = (tokens: number[], logProbSum: number): void => {
    const last = tokens.at(-1);
    if (tokens.length === maxNewTokens || (last !== undefined && eosTokenIds.includes(last))) {
      found.push({ tokens, score: logProbSum / tokens.length ** lengthPenalty });
      return;
    }
    referenceLogSoftmax(model.logitsFor([...prompt, ...tokens])).forEach((logProb, token) =>
      visit([...tokens, token], logProbSum + logProb),
    );
  };
  visit([], 0);
  return found.sort((a, b) => b.score - a.score);
}
