/**
 * Receives generated tokens as they are chosen. The text-decoding implementation lives elsewhere;
 * the generation loop only calls it.
 *
 * `row` is the index of the output sequence (the index into `GenerationResult.sequences`).
 * Greedy/sampling call `put` once per real token as soon as it is chosen (padding given to rows
 * that already finished is not streamed). Beam search only knows its result at the very end, so it
 * streams each returned sequence in one go after the search (HF refuses streamers with beams).
 * `end` is called exactly once, after the last `put`, when generation succeeded.
 */
export interface TokenStreamer {
  put(row: number, tokenId: number): void;
  end(): void;
}
