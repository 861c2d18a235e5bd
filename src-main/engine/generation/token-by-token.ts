import type { KvCache } from './language-model.ts';
import type { DecodingSetup, GenerationResult } from './generation-types.ts';
import { copyRow } from './score-math.ts';
import { makeHistory } from './token-history.ts';

/** Picks the next token from one row of processed scores. */
export type TokenChooser = (scores: Float64Array) => number;

/**
 * Batched one-token-per-step decoding shared by greedy search and sampling (HF `_sample`).
 *
 * `copiesPerRow` output rows are decoded for every input row (HF `num_return_sequences` for
 * sampling): they share the prefill, and the cache is expanded only when a second token is needed.
 *
 * HF semantics kept here:
 * - a row that has finished (EOS) keeps receiving `padTokenId` until every row is finished or the
 *   budget is spent; its `sequences` entry stops at the EOS (inclusive), `padded` shows the pads;
 * - the attention mask grows by 1 for every row at every step, finished rows included;
 * - the model is not called again after the last token is chosen.
 */
export async function decodeTokenByToken(
  setup: DecodingSetup,
  chooseToken: TokenChooser,
  copiesPerRow = 1,
): Promise<GenerationResult> {
  const { model, attentionMask, seenTokenIds, processors, stopping, padTokenId, streamer } = setup;
  const vocabSize = model.vocabSize;
  const inputRows = attentionMask.length;
  const rows = inputRows * copiesPerRow;
  const inputRowOf = (row: number): number => Math.floor(row / copiesPerRow);
  const seenOf = (row: number): readonly number[] => seenTokenIds[inputRowOf(row)] ?? [];

  const sequences: number[][] = Array.from({ length: rows }, () => []);
  const padded: number[][] = Array.from({ length: rows }, () => []);
  const unfinished: boolean[] = new Array<boolean>(rows).fill(true);
  const masks: number[][] = Array.from({ length: rows }, (_, row) => [
    ...attentionMask[inputRowOf(row)]!,
  ]);

  let logits = setup.prefill.logits;
  let cache: KvCache | undefined = setup.prefill.cache;
  // Prefill logits/cache have one row per input row; later ones one per output row.
  let logitsRowOf = inputRowOf;
  try {
    for (;;) {
      const tokens: number[] = [];
      for (let row = 0; row < rows; row++) {
        if (!unfinished[row]) {
          tokens.push(padTokenId);
          continue;
        }
        const scores = copyRow(logits, logitsRowOf(row), vocabSize);
        processors.apply(scores, makeHistory(seenOf(row), sequences[row]!));
        tokens.push(chooseToken(scores));
      }

      for (let row = 0; row < rows; row++) {
        const token = tokens[row]!;
        padded[row]!.push(token);
        masks[row]!.push(1);
        if (!unfinished[row]) continue;
        sequences[row]!.push(token);
        streamer?.put(row, token);
        if (stopping.isDone(makeHistory(seenOf(row), sequences[row]!))) unfinished[row] = false;
      }
      if (!unfinished.includes(true)) break;

      if (copiesPerRow > 1 && logitsRowOf === inputRowOf) {
        const expanded: KvCache = model.selectRows(
          cache,
          Array.from({ length: rows }, (_, row) => inputRowOf(row)),
        );
        cache.dispose();
        cache = expanded;
      }
      const stepCache: KvCache = cache;
      cache = undefined; // `step` consumes it
      // Copies: the model may keep what it is given, and `masks` keeps growing here.
      const output = await model.step(
        tokens,
        masks.map((mask) => [...mask]),
        stepCache,
      );
      logits = output.logits;
      cache = output.cache;
      logitsRowOf = (row) => row;
    }
  } finally {
    cache?.dispose();
  }
  streamer?.end();
  return { sequences, padded };
}
