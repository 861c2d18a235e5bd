import type { TokenHistory } from './token-history.ts';

/** HF `StoppingCriteria`, per row: is this row finished once `history` (incl. the new token) exists? */
export interface StoppingCriterion {
  isDone(history: TokenHistory): boolean;
}

/** Finished as soon as any criterion says so (HF `StoppingCriteriaList`). */
export class StoppingCriteriaList implements StoppingCriterion {
  readonly criteria: readonly StoppingCriterion[];

  constructor(criteria: readonly StoppingCriterion[] = []) {
    this.criteria = criteria;
  }

  isDone(history: TokenHistory): boolean {
    return this.criteria.some((criterion) => criterion.isDone(history));
  }
}

/** HF `MaxLengthCriteria` with `max_length = prompt_len + max_new_tokens`. */
export function maxNewTokensCriterion(maxNewTokens: number): StoppingCriterion {
  return { isDone: (history) => history.newTokenCount >= maxNewTokens };
}

/**
 * HF `EosTokenCriteria`: the last generated token is one of the EOS ids. BLIP-2 OPT stops on the
 * id of "\n" from generation_config (possibly several ids), not on the tokenizer's `</s>`.
 */
export function eosTokenCriterion(eosTokenIds: readonly number[]): StoppingCriterion {
  const eos = new Set(eosTokenIds);
  return {
    isDone: (history) => history.newTokenCount > 0 && eos.has(history.tokenIds.at(-1)!),
  };
}
