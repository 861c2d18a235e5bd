import type { KvCache } from './language-model.ts';
import type { DecodingSetup, GenerationResult } from './generation-types.ts';
import { copyRow, logSoftmax } from './score-math.ts';
import { makeHistory } from './token-history.ts';
import { topIndices } from './top-indices.ts';

/**
 * Beam search with the semantics of current Hugging Face `GenerationMixin._beam_search` (the
 * vectorised rewrite that replaced `BeamSearchScorer`; same results). Comments quote the HF names.
 *
 * Length penalty: a finished hypothesis scores `sum_logprobs / generated_len ** length_penalty`
 * where `generated_len = cur_len + 1 - decoder_prompt_len` = number of NEW tokens including the
 * EOS. `decoder_prompt_len` is the prompt's `input_ids` length, so the prompt never counts; for
 * BLIP-2 current HF passes the image/BOS/prompt ids as `input_ids`, hence "new tokens only" here.
 * (Releases before ~4.35 divided by the full `input_ids` length without the EOS for decoder-only
 * models; we follow current HF.)
 */
export interface BeamSearchSettings {
  numBeams: number;
  lengthPenalty: number;
  /** HF `early_stopping`: true stops a row once it has numBeams finished hypotheses; false uses the
   * "current length" heuristic; "never" bounds with the maximum length (exact for length_penalty > 0). */
  earlyStopping: boolean | 'never';
  numReturnSequences: number;
  /** Number of EOS ids: HF keeps `max(2, 1 + n_eos) * num_beams` candidates per step. */
  eosTokenCount: number;
}

/** HF's "very large negative" used to mask beams (not -Infinity, so arithmetic stays finite). */
const MASKED = -1.0e9;

interface RunningBeam {
  tokens: number[];
  /** Sum of processed log-probs (HF `running_beam_scores`, MASKED added if it just finished). */
  score: number;
  /** Beam (0..numBeams-1) this one extends. */
  source: number;
}

interface FinishedSlot {
  tokens: number[];
  /** Length-penalised score (HF `beam_scores`); MASKED while empty. */
  score: number;
  finished: boolean;
}

interface Candidate {
  beam: number;
  tokens: number[];
  logProbSum: number;
  hitsStop: boolean;
}

interface RowState {
  running: RunningBeam[];
  finished: FinishedSlot[];
  /** HF `is_early_stop_heuristic_unsatisfied`: once false, the row accepts no more hypotheses. */
  improvable: boolean;
  allCandidatesStopped: boolean;
}

function bestByScore<T extends { score: number }>(items: readonly T[], count: number): T[] {
  return topIndices(
    items.map((item) => item.score),
    count,
  ).map((index) => items[index]!);
}

export async function beamSearch(
  setup: DecodingSetup,
  settings: BeamSearchSettings,
): Promise<GenerationResult> {
  const { model, attentionMask, seenTokenIds, processors, stopping, maxNewTokens } = setup;
  const { numBeams, earlyStopping, numReturnSequences } = settings;
  const vocabSize = model.vocabSize;
  const inputRows = attentionMask.length;
  const candidatesPerRow = Math.max(2, 1 + settings.eosTokenCount) * numBeams;
  const seenOf = (row: number): readonly number[] => seenTokenIds[row] ?? [];
  const context: SearchContext = {
    ...settings,
    vocabSize,
    maxNewTokens,
    candidatesPerRow,
    processors,
    stopping,
  };

  // HF: beam 0 starts at 0, the others at -1e9 so that step 0 expands only one copy of the prompt.
  const states: RowState[] = Array.from({ length: inputRows }, () => ({
    running: Array.from({ length: numBeams }, (_, beam) => ({
      tokens: [],
      score: beam === 0 ? 0 : MASKED,
      source: beam,
    })),
    finished: Array.from({ length: numBeams }, () => ({
      tokens: [],
      score: MASKED,
      finished: false,
    })),
    improvable: true,
    allCandidatesStopped: false,
  }));

  let logits = setup.prefill.logits;
  let cache: KvCache | undefined = setup.prefill.cache;
  // Input rows the model still runs, in the order of its output rows. The prefill has one row per
  // input row (every beam of it is identical); later outputs one per beam of each live row, and
  // expansion happens in the first `selectRows`. A row whose hypotheses can no longer change
  // (see `isDone`) leaves the batch: its results are final, the model stops computing it.
  let live = Array.from({ length: inputRows }, (_, row) => row);
  let expanded = false;
  const modelRowOf = (slot: number, beam: number): number =>
    expanded ? slot * numBeams + beam : slot;

  let generated = 0;
  try {
    for (;;) {
      live.forEach((row, slot) => {
        const beamLogits = (beam: number): Float64Array =>
          copyRow(logits, modelRowOf(slot, beam), vocabSize);
        advanceRow(states[row]!, beamLogits, seenOf(row), generated, context);
      });
      generated++;
      for (const row of live) updateImprovable(states[row]!, generated, context);

      // HF `_beam_search_has_unfinished_sequences`, over the rows that ran this step: a row that
      // left earlier can neither improve nor change, and at the length limit all rows stop alike.
      const ran = live.map((row) => states[row]!);
      const improvementPossible = ran.some((state) => state.improvable);
      const openBeamExists = !(
        earlyStopping === true && states.every((s) => s.finished.every((slot) => slot.finished))
      );
      const validContinuations = !ran.every((state) => state.allCandidatesStopped);
      if (!(improvementPossible && openBeamExists && validContinuations)) break;
      const next = live.filter((row) => !isDone(states[row]!, earlyStopping));
      if (next.length === 0) break;

      const sources: number[] = [];
      const tokens: number[] = [];
      const masks: number[][] = [];
      for (const row of next) {
        const slot = live.indexOf(row);
        for (const beam of states[row]!.running) {
          sources.push(modelRowOf(slot, beam.source));
          tokens.push(beam.tokens.at(-1)!);
          masks.push([...attentionMask[row]!, ...new Array<number>(generated).fill(1)]);
        }
      }
      const isIdentity =
        expanded &&
        sources.length === cache.rows &&
        sources.every((source, index) => source === index);
      let stepCache: KvCache = cache;
      if (!isIdentity) {
        stepCache = model.selectRows(cache, sources);
        cache.dispose();
      }
      cache = undefined; // `step` consumes it
      const output = await model.step(tokens, masks, stepCache);
      logits = output.logits;
      cache = output.cache;
      live = next;
      expanded = true;
    }
  } finally {
    cache?.dispose();
  }

  const sequences: number[][] = [];
  const scores: number[] = [];
  for (const state of states) {
    for (const slot of state.finished.slice(0, numReturnSequences)) {
      sequences.push(slot.tokens);
      scores.push(slot.score);
    }
  }
  const width = Math.max(0, ...sequences.map((tokens) => tokens.length));
  const padded = sequences.map((tokens) => [
    ...tokens,
    ...new Array<number>(width - tokens.length).fill(setup.padTokenId),
  ]);
  if (setup.streamer) {
    sequences.forEach((tokens, index) =>
      tokens.forEach((token) => setup.streamer!.put(index, token)),
    );
    setup.streamer.end();
  }
  return { sequences, padded, scores };
}

/**
 * A row whose finished hypotheses can no longer change: HF masks every new hypothesis of a row
 * that cannot improve (or, with early_stopping=true, that already holds numBeams of them).
 */
function isDone(state: RowState, earlyStopping: BeamSearchSettings['earlyStopping']): boolean {
  return (
    !state.improvable || (earlyStopping === true && state.finished.every((slot) => slot.finished))
  );
}

/** Settings and helpers shared by every input row of one search. */
interface SearchContext extends BeamSearchSettings {
  vocabSize: number;
  maxNewTokens: number;
  candidatesPerRow: number;
  processors: DecodingSetup['processors'];
  stopping: DecodingSetup['stopping'];
}

/**
 * One step for one input row: rank the continuations of its running beams, pick the next running
 * beams and update its finished hypotheses. `beamLogits(b)` is a fresh copy of beam b's logits;
 * `generated` is how many tokens the running beams had before this step.
 */
function advanceRow(
  state: RowState,
  beamLogits: (beam: number) => Float64Array,
  seen: readonly number[],
  generated: number,
  context: SearchContext,
): void {
  const { numBeams, vocabSize, processors, stopping, lengthPenalty, earlyStopping } = context;
  // HF: log_softmax, then the logits processors on the log-probs, then add the beam's score.
  const totals = new Float64Array(numBeams * vocabSize);
  state.running.forEach((beam, beamIndex) => {
    const logProbs = logSoftmax(beamLogits(beamIndex));
    processors.apply(logProbs, makeHistory(seen, beam.tokens));
    for (let token = 0; token < vocabSize; token++) {
      totals[beamIndex * vocabSize + token] = logProbs[token]! + beam.score;
    }
  });

  // HF `_get_top_k_continuations`: best `candidatesPerRow` (beam, token) pairs, best first.
  const candidates: Candidate[] = topIndices(totals, context.candidatesPerRow).map((flat) => {
    const beam = Math.floor(flat / vocabSize);
    const tokens = [...state.running[beam]!.tokens, flat % vocabSize];
    return {
      beam,
      tokens,
      logProbSum: totals[flat]!,
      hitsStop: stopping.isDone(makeHistory(seen, tokens)),
    };
  });
  state.allCandidatesStopped = candidates.every((candidate) => candidate.hitsStop);

  // HF `_get_running_beams_for_next_iteration`: finished candidates are pushed down by -1e9
  // and the best numBeams continue (so fewer live candidates than beams yields masked beams).
  state.running = bestByScore(
    candidates.map((candidate) => ({
      tokens: candidate.tokens,
      score: candidate.logProbSum + (candidate.hitsStop ? MASKED : 0),
      source: candidate.beam,
    })),
    numBeams,
  );

  // HF `_update_finished_beams`: only candidates ranked in the top numBeams may be finalised;
  // nothing is added to a row that is full under early_stopping=True or can no longer improve.
  const rowIsFull = earlyStopping === true && state.finished.every((slot) => slot.finished);
  const lengthNorm = (generated + 1) ** lengthPenalty;
  const newSlots: FinishedSlot[] = candidates.map((candidate, rank) => {
    const justFinished = candidate.hitsStop && rank < numBeams;
    let score = candidate.logProbSum / lengthNorm;
    if (rowIsFull) score += MASKED;
    if (!state.improvable) score += MASKED;
    if (!justFinished) score += MASKED;
    return { tokens: candidate.tokens, score, finished: justFinished };
  });
  state.finished = bestByScore([...state.finished, ...newSlots], numBeams);
}

// HF `_check_early_stop_heuristic`, with cur_len - decoder_prompt_len = `generated` (after the step).
function updateImprovable(state: RowState, generated: number, context: SearchContext): void {
  const { earlyStopping, lengthPenalty, maxNewTokens } = context;
  if (!state.improvable) return;
  const bestLength = earlyStopping === 'never' && lengthPenalty > 0 ? maxNewTokens : generated;
  const bestPossible = state.running[0]!.score / bestLength ** lengthPenalty;
  const worstFinished = Math.min(...state.finished.map((slot) => slot.score));
  state.improvable = state.finished.some(
    (slot) => bestPossible > (slot.finished ? worstFinished : MASKED),
  );
}
