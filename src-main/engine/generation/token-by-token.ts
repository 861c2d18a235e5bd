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
 *   budget is spent; its `sequences` entry stops at the EOS (inclusive), `padded` shows the pads.
 *   Those pads cannot change any row's tokens, so the model no longer runs finished rows;
 * - the attention mask grows by 1 for every running row at every step;
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
  // Prefill logits/cache have one row per input row; later ones one per output row still
  // generating, in `running` order: a finished row only receives pads, so it leaves the batch.
  let running = Array.from({ length: rows }, (_, row) => row);
  let modelRowOf = inputRowOf;
  try {
    for (;;) {
      const tokens: number[] = [];
      for (let row = 0; row < rows; row++) {
        if (!unfinished[row]) {
          tokens.push(padTokenId);
          continue;
        }
        const scores = copyRow(logits, modelRowOf(row), vocabSize);
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
      const next = running.filter((row) => unfinished[row]);
      if (next.length === 0) break;

      const sources = next.map((row) => modelRowOf(row));
      if (sources.length !== cache.rows || sources.some((source, index) => source !== index)) {
        const selected: KvCache = model.selectRows(cache, sources);
        cache.dispose();
        cache = selected;
      }
      const stepCache: KvCache = cache;
      cache = undefined; // `step` consumes it
      // Copies: the model may keep what it is given, and `masks` keeps growing here.
      const output = await model.step(
        next.map((row) => tokens[row]!),
        next.map((row) => [...masks[row]!]),
        stepCache,
      );
      logits = output.logits;
      cache = output.cache;
      running = next;
      const slots = new Map(next.map((row, slot) => [row, slot]));
      modelRowOf = (row) => slots.get(row)!;
    }
  } finally {
    cache?.dispose();
  }
  streamer?.end();
  return { sequences, padded };
}
