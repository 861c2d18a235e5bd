import { afterEach, describe, expect, it } from 'vitest';
import { beamSearch } from '../../../../src-main/engine/generation/beam-search.ts';
import {
  buildLogitsProcessors,
  buildStoppingCriteria,
  generate,
} from '../../../../src-main/engine/generation/generate.ts';
import type {
  GenerationOptions,
  GenerationResult,
} from '../../../../src-main/engine/generation/generation-types.ts';
import type { TokenStreamer } from '../../../../src-main/engine/generation/streamer.ts';
import { exhaustiveHypotheses, referenceGreedy } from './reference-search.ts';
import { embedPrompts, ToyLanguageModel } from './toy-language-model.ts';

const PAD = 0;
const PROMPTS = [[7, 3, 9], [11, 2, 8, 4, 6], [13]];

const models: ToyLanguageModel[] = [];
function toyModel(vocabSize: number, seed: number, extra: { failOnStep?: number } = {}) {
  const model = new ToyLanguageModel({ vocabSize, seed, ...extra });
  models.push(model);
  return model;
}

afterEach(() => {
  for (const model of models.splice(0)) expect(model.liveCaches).toBe(0);
});

/** Runs `beamSearch` directly (generate() routes numBeams = 1 to greedy search). */
async function runBeamSearch(
  model: ToyLanguageModel,
  prompts: readonly (readonly number[])[],
  options: GenerationOptions,
  streamer?: TokenStreamer,
): Promise<GenerationResult> {
  const input = embedPrompts(prompts, model.hidden, PAD);
  const prefill = await model.prefill(input.inputsEmbeds, input.dims, input.attentionMask);
  return beamSearch(
    {
      model,
      prefill,
      attentionMask: input.attentionMask,
      seenTokenIds: [],
      processors: buildLogitsProcessors(options),
      stopping: buildStoppingCriteria(options),
      maxNewTokens: options.maxNewTokens,
      padTokenId: options.padTokenId,
      ...(streamer ? { streamer } : {}),
    },
    {
      numBeams: options.numBeams ?? 1,
      lengthPenalty: options.lengthPenalty ?? 1,
      earlyStopping: options.earlyStopping ?? false,
      numReturnSequences: options.numReturnSequences ?? 1,
      eosTokenCount: options.eosTokenIds.length,
    },
  );
}

describe('beam search', () => {
  it('with one beam equals greedy search token for token', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const model = toyModel(12, seed);
      const options: GenerationOptions = { maxNewTokens: 9, eosTokenIds: [3], padTokenId: PAD };
      const beam = await runBeamSearch(model, PROMPTS, { ...options, numBeams: 1 });
      const greedy = await generate(model, embedPrompts(PROMPTS), options);
      expect(beam.sequences).toEqual(greedy.sequences);
      expect(beam.sequences).toEqual(
        PROMPTS.map((prompt) =>
          referenceGreedy(model, prompt, { maxNewTokens: 9, eosTokenIds: [3] }),
        ),
      );
    }
  });

  it('never finalises an EOS candidate ranked below the top numBeams (HF)', async () => {
    // Step 0: token 4 narrowly beats EOS (1); afterwards every non-EOS token is equally likely.
    // [EOS] alone would score better than the greedy path, but with one beam HF only keeps the
    // top-1 candidate as a possible finished hypothesis, so the result must be the greedy path.
    const prompt = [3, 2];
    const model = new ToyLanguageModel({
      vocabSize: 5,
      seed: 0,
      logits: (history) =>
        history.length === prompt.length
          ? Float32Array.from([-10, 1.9, -10, -10, 2])
          : Float32Array.from([0, -10, 0, 0, 0]),
    });
    models.push(model);
    const options: GenerationOptions = { maxNewTokens: 3, eosTokenIds: [1], padTokenId: PAD };
    const beam = await runBeamSearch(model, [prompt], { ...options, numBeams: 1 });
    expect(beam.sequences).toEqual([[4, 0, 0]]);
    expect(exhaustiveHypotheses(model, prompt, 3, [1], 1)[0]!.tokens).toEqual([1]);
  });

  const exhaustiveCases: {
    lengthPenalty: number;
    earlyStopping: boolean | 'never';
    eos: number[];
  }[] = [
    { lengthPenalty: 1, earlyStopping: false, eos: [1] },
    { lengthPenalty: 1, earlyStopping: 'never', eos: [1] },
    { lengthPenalty: 2, earlyStopping: 'never', eos: [1] },
    { lengthPenalty: 0, earlyStopping: false, eos: [1] },
    { lengthPenalty: -1, earlyStopping: 'never', eos: [1] },
    { lengthPenalty: 0.5, earlyStopping: false, eos: [1, 2] },
  ];
  it.each(exhaustiveCases)(
    'with enough beams finds the exhaustive best sequences (%o)',
    async ({ lengthPenalty, earlyStopping, eos }) => {
      const vocabSize = 4;
      const maxNewTokens = 3;
      for (const seed of [11, 12, 13, 14]) {
        const model = toyModel(vocabSize, seed);
        const prompt = [3, 2];
        const expected = exhaustiveHypotheses(model, prompt, maxNewTokens, eos, lengthPenalty);
        const result = await generate(model, embedPrompts([prompt]), {
          maxNewTokens,
          eosTokenIds: eos,
          padTokenId: PAD,
          numBeams: vocabSize ** maxNewTokens,
          numReturnSequences: 5,
          lengthPenalty,
          earlyStopping,
        });
        expect(result.sequences).toEqual(expected.slice(0, 5).map((h) => h.tokens));
        result.scores!.forEach((score, i) => expect(score).toBeCloseTo(expected[i]!.score, 9));
      }
    },
  );

  it('length penalty changes the preferred length the way HF scores it', async () => {
    // Scores use sum(log p) / new_tokens ** lp: a large lp favours long, a negative one short.
    const model = toyModel(4, 21);
    const prompt = [3, 2];
    const lengths = new Set<number>();
    for (const lengthPenalty of [-3, 3]) {
      const expected = exhaustiveHypotheses(model, prompt, 4, [1], lengthPenalty)[0]!;
      const result = await generate(model, embedPrompts([prompt]), {
        maxNewTokens: 4,
        eosTokenIds: [1],
        padTokenId: PAD,
        numBeams: 4 ** 4,
        lengthPenalty,
        earlyStopping: 'never',
      });
      expect(result.sequences[0]).toEqual(expected.tokens);
      lengths.add(expected.tokens.length);
    }
    expect(lengths.size).toBe(2);
  });

  const batchCases = [false, true, 'never'].flatMap((earlyStopping) =>
    [0.5, 1, 3].map((lengthPenalty) => ({ earlyStopping, lengthPenalty })),
  ) as { earlyStopping: boolean | 'never'; lengthPenalty: number }[];
  it.each(batchCases)(
    'a left-padded batch equals each row run alone (%o)',
    async ({ earlyStopping, lengthPenalty }) => {
      // A likely EOS makes rows finish (and stop improving) at different steps.
      const model = new ToyLanguageModel({
        vocabSize: 10,
        seed: 31,
        logits: (_, random) => ((random[4] = random[4]! + 1.5), random),
      });
      models.push(model);
      const options: GenerationOptions = {
        maxNewTokens: 12,
        eosTokenIds: [4],
        padTokenId: PAD,
        numBeams: 3,
        numReturnSequences: 2,
        earlyStopping,
        lengthPenalty,
        repetitionPenalty: 1.3,
      };
      const batch = await generate(model, embedPrompts(PROMPTS), options);
      expect(batch.sequences).toHaveLength(PROMPTS.length * 2);
      for (const [row, prompt] of PROMPTS.entries()) {
        const alone = await generate(model, embedPrompts([prompt]), options);
        expect(batch.sequences.slice(row * 2, row * 2 + 2)).toEqual(alone.sequences);
        expect(batch.scores!.slice(row * 2, row * 2 + 2)).toEqual(alone.scores);
      }
      const width = Math.max(...batch.sequences.map((s) => s.length));
      batch.padded.forEach((row, i) =>
        expect(row).toEqual([
          ...batch.sequences[i]!,
          ...new Array<number>(width - batch.sequences[i]!.length).fill(PAD),
        ]),
      );
    },
  );

  it.each([true, false])(
    'rows whose hypotheses are final leave the batch (early_stopping %o)',
    async (earlyStopping) => {
      const model = new ToyLanguageModel({
        vocabSize: 10,
        seed: 31,
        // EOS (4) is likely after the one-token prompt, rare after the others.
        logits: (history, random) => (
          (random[4] = random[4]! + (history[0] === 13 ? 4 : 0)),
          random
        ),
      });
      models.push(model);
      const options: GenerationOptions = {
        maxNewTokens: 12,
        eosTokenIds: [4],
        padTokenId: PAD,
        numBeams: 3,
        earlyStopping,
      };
      const batch = await generate(model, embedPrompts(PROMPTS), options);
      const rowsPerStep = model.newMaskColumns.map((column) => column.length);
      // Beam search starts with every row's beams; the early-finishing row then stops running.
      expect(rowsPerStep[0]).toBe(PROMPTS.length * 3);
      expect(Math.min(...rowsPerStep)).toBeLessThan(rowsPerStep[0]!);
      rowsPerStep.forEach((rows, step) => {
        expect(rows % 3).toBe(0);
        if (step > 0) expect(rows).toBeLessThanOrEqual(rowsPerStep[step - 1]!);
      });
      for (const [row, prompt] of PROMPTS.entries()) {
        const alone = await generate(model, embedPrompts([prompt]), options);
        expect(batch.sequences[row]).toEqual(alone.sequences[0]);
        expect(batch.scores![row]).toEqual(alone.scores![0]);
      }
    },
  );

  it('returns hypotheses best first, EOS-terminated or cut at the budget', async () => {
    const model = toyModel(8, 41);
    const result = await generate(model, embedPrompts([PROMPTS[1]!]), {
      maxNewTokens: 6,
      eosTokenIds: [2],
      padTokenId: PAD,
      numBeams: 4,
      numReturnSequences: 4,
    });
    expect(result.scores).toEqual([...result.scores!].sort((a, b) => b - a));
    for (const tokens of result.sequences) {
      expect(tokens.length === 6 || tokens.at(-1) === 2).toBe(true);
      expect(tokens.slice(0, -1)).not.toContain(2);
    }
  });

  it('early_stopping=true stops once numBeams hypotheses are finished', async () => {
    // EOS is likely everywhere, so hypotheses finish early; "never" keeps searching to the budget.
    const model = new ToyLanguageModel({
      vocabSize: 6,
      seed: 51,
      logits: (_, random) => ((random[1] = random[1]! + 2), random),
    });
    models.push(model);
    const run = async (earlyStopping: boolean | 'never') => {
      model.stepCalls = 0;
      const result = await generate(model, embedPrompts([PROMPTS[0]!]), {
        maxNewTokens: 10,
        eosTokenIds: [1],
        padTokenId: PAD,
        numBeams: 2,
        lengthPenalty: 2,
        earlyStopping,
      });
      return { result, steps: model.stepCalls };
    };
    const eager = await run(true);
    const never = await run('never');
    expect(eager.steps).toBeLessThan(never.steps);
    expect(never.steps).toBe(9);
    expect(eager.result.sequences[0]!.at(-1)).toBe(1);
  });

  it('honours min new tokens and no-repeat-ngram', async () => {
    const model = toyModel(9, 61);
    const result = await generate(model, embedPrompts([PROMPTS[0]!]), {
      maxNewTokens: 6,
      minNewTokens: 4,
      eosTokenIds: [2],
      padTokenId: PAD,
      numBeams: 3,
      numReturnSequences: 3,
      noRepeatNgramSize: 1,
    });
    for (const tokens of result.sequences) {
      expect(tokens.length).toBeGreaterThanOrEqual(4);
      expect(tokens.slice(0, -1)).not.toContain(2);
      expect(new Set(tokens).size).toBe(tokens.length);
    }
  });

  it('streams the returned sequences once the search is over', async () => {
    const model = toyModel(10, 71);
    const puts: [number, number][] = [];
    let ended = 0;
    const result = await generate(
      model,
      embedPrompts(PROMPTS),
      { maxNewTokens: 5, eosTokenIds: [4], padTokenId: PAD, numBeams: 3 },
      { put: (row, token) => puts.push([row, token]), end: () => ended++ },
    );
    expect(puts).toEqual(result.sequences.flatMap((tokens, row) => tokens.map((t) => [row, t])));
    expect(ended).toBe(1);
  });
});
