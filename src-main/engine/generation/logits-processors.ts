import type { TokenHistory } from './token-history.ts';
import { softmax } from './score-math.ts';

/**
 * Hugging Face logits processors / warpers, applied to one row of scores in place. Rows are
 * independent for every processor here, so working per row keeps them simple; the float64 row
 * holds raw logits (greedy/sampling) or log-probabilities (beam search), exactly as in HF.
 */
export interface LogitsProcessor {
  apply(scores: Float64Array, history: TokenHistory): void;
}

/** Runs processors in order (HF `LogitsProcessorList`). */
export class LogitsProcessorList implements LogitsProcessor {
  readonly processors: readonly LogitsProcessor[];

  constructor(processors: readonly LogitsProcessor[] = []) {
    this.processors = processors;
  }

  apply(scores: Float64Array, history: TokenHistory): void {
    for (const processor of this.processors) processor.apply(scores, history);
  }
}

/**
 * HF `RepetitionPenaltyLogitsProcessor`: for every distinct id in the history (seen ids AND
 * generated ones), `score < 0 ? score * penalty : score / penalty` (so 0 is divided). Each id is
 * penalised once however often it occurs (HF gathers/scatters the same value).
 */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  if (!(penalty > 0)) throw new RangeError(`repetition penalty must be > 0, got ${penalty}`);
  return {
    apply(scores, history) {
      for (const id of new Set(history.tokenIds)) {
        if (id < 0 || id >= scores.length) continue;
        const score = scores[id]!;
        scores[id] = score < 0 ? score * penalty : score / penalty;
      }
    },
  };
}

/** HF `MinNewTokensLengthLogitsProcessor`: EOS ids get -Infinity while fewer than `min` new tokens exist. */
export function minNewTokens(min: number, eosTokenIds: readonly number[]): LogitsProcessor {
  return {
    apply(scores, history) {
      if (history.newTokenCount >= min) return;
      for (const id of eosTokenIds) if (id >= 0 && id < scores.length) scores[id] = -Infinity;
    },
  };
}

/**
 * HF `NoRepeatNGramLogitsProcessor`: a token that would complete an n-gram already present in the
 * history (the whole row, prompt ids included, like HF's `input_ids`) gets -Infinity.
 */
export function noRepeatNgram(size: number): LogitsProcessor {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`ngram size must be >= 1, got ${size}`);
  return {
    apply(scores, history) {
      const ids = history.tokenIds;
      const length = ids.length;
      // HF: `if cur_len + 1 < ngram_size: no bans`.
      if (length + 1 < size) return;
      const prefixStart = length - (size - 1);
      for (let start = 0; start + size <= length; start++) {
        let matches = true;
        for (let k = 0; k < size - 1 && matches; k++)
          matches = ids[start + k] === ids[prefixStart + k];
        if (!matches) continue;
        const banned = ids[start + size - 1]!;
        if (banned >= 0 && banned < scores.length) scores[banned] = -Infinity;
      }
    },
  };
}

/** HF `TemperatureLogitsWarper`: scores / temperature. */
export function temperature(value: number): LogitsProcessor {
  if (!(value > 0)) throw new RangeError(`temperature must be > 0, got ${value}`);
  return {
    apply(scores) {
      for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / value;
    },
  };
}

/**
 * HF `TopKLogitsWarper`: keeps every score >= the k-th largest (ties at the boundary survive, as
 * in `scores < topk(...)[-1]`), the rest become -Infinity.
 */
export function topK(k: number, minTokensToKeep = 1): LogitsProcessor {
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`top-k must be a positive integer, got ${k}`);
  return {
    apply(scores) {
      const keep = Math.min(Math.max(k, minTokensToKeep), scores.length);
      if (keep >= scores.length) return;
      const threshold = Float64Array.from(scores)
        .sort()
        .at(scores.length - keep)!;
      for (let i = 0; i < scores.length; i++) if (scores[i]! < threshold) scores[i] = -Infinity;
    },
  };
}

/**
 * HF `TopPLogitsWarper`: sort ascending, cumulative softmax; tokens whose cumulative probability is
 * <= 1 - top_p are removed, but the `minTokensToKeep` most likely always stay.
 */
export function topP(p: number, minTokensToKeep = 1): LogitsProcessor {
  if (!(p > 0 && p <= 1)) throw new RangeError(`top-p must be in (0, 1], got ${p}`);
  return {
    apply(scores) {
      const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]! || a - b);
      const probs = softmax(scores);
      const removeUpTo = order.length - minTokensToKeep;
      const toRemove: number[] = [];
      let cumulative = 0;
      for (let rank = 0; rank < order.length; rank++) {
        const id = order[rank]!;
        cumulative += probs[id]!;
        if (cumulative <= 1 - p && rank < removeUpTo) toRemove.push(id);
      }
      for (const id of toRemove) scores[id] = -Infinity;
    },
  };
}
