/**
 * What logits processors and stopping criteria may look at for one row: the equivalent of that
 * row of Hugging Face's `input_ids` during `generate`.
 */
export interface TokenHistory {
  /**
   * The row's "seen" ids followed by the tokens generated so far. For BLIP-2, current HF passes
   * `input_ids` = `[<image>]*num_query_tokens + [<pad>]*k + [BOS] + prompt` to the language model,
   * so repetition penalty and no-repeat-ngram see those ids too; the caller decides what is seen.
   */
  readonly tokenIds: readonly number[];
  /** How many of the trailing `tokenIds` were generated (HF: `input_ids.shape[-1] - prompt_len`). */
  readonly newTokenCount: number;
}

export function makeHistory(seen: readonly number[], generated: readonly number[]): TokenHistory {
  return {
    tokenIds: seen.length === 0 ? generated : [...seen, ...generated],
    newTokenCount: generated.length,
  };
}
