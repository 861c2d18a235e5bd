import { afterEach, describe, expect, it } from 'vitest';
import { generate } from '../../../../src-main/engine/generation/generate.ts';
import type { GenerationOptions } from '../../../../src-main/engine/generation/generation-types.ts';
import type { TokenStreamer } from '../../../../src-main/engine/generation/streamer.ts';
import { referenceGreedy } from './reference-search.ts';
import { embedPrompts, ToyLanguageModel } from './toy-language-model.ts';

const VOCAB = 24;
const PAD = 0;
const EOS = 5;
const PROMPTS = [[7, 3, 9], [11, 2, 8, 4, 6], [13]];

const models: ToyLanguageModel[] = [];
function toyModel(options: Partial<ConstructorParameters<typeof ToyLanguageModel>[0]> = {}) {
  const model = new ToyLanguageModel({ vocabSize: VOCAB, seed: 1234, ...options });
  models.push(model);
  return model;
}

// Every test must leave no KV cache alive.
afterEach(() => {
  for (const model of models.splice(0)) expect(model.liveCaches).toBe(0);
});

const greedyOptions = (overrides: Partial<GenerationOptions> = {}): GenerationOptions => ({
  maxNewTokens: 8,
  eosTokenIds: [EOS],
  padTokenId: PAD,
  ...overrides,
});

/** Makes `eos` the argmax when a row whose prompt starts with `first` has `generated` new tokens. */
function forceEosAt(first: number, promptLength: number, generated: number, eos = EOS) {
  return (history: readonly number[], random: Float32Array): Float32Array => {
    const logits = Float32Array.from(random);
    if (history[0] === first && history.length === promptLength + generated) logits[eos] = 50;
    else logits[eos] = -50;
    return logits;
  };
}

class RecordingStreamer implements TokenStreamer {
  readonly rows = new Map<number, number[]>();
  ended = 0;
  put(row: number, tokenId: number): void {
    if (this.ended) throw new Error('put after end');
    this.rows.set(row, [...(this.rows.get(row) ?? []), tokenId]);
  }
  end(): void {
    this.ended++;
  }
}

describe('generate: greedy', () => {
  it('equals argmax over the full-history logits and makes maxNewTokens - 1 steps', async () => {
    const model = toyModel({ logits: (_, random) => ((random[EOS] = -50), random) });
    const result = await generate(model, embedPrompts([PROMPTS[0]!]), greedyOptions());
    const expected = referenceGreedy(model, PROMPTS[0]!, { maxNewTokens: 8, eosTokenIds: [EOS] });
    expect(expected).toHaveLength(8);
    expect(result.sequences).toEqual([expected]);
    expect(result.padded).toEqual([expected]);
    expect(result.scores).toBeUndefined();
    expect([model.prefillCalls, model.stepCalls]).toEqual([1, 7]);
  });

  it('stops a single sequence right after EOS (inclusive)', async () => {
    const model = toyModel({ logits: forceEosAt(7, 3, 2) });
    const result = await generate(model, embedPrompts([PROMPTS[0]!]), greedyOptions());
    expect(result.sequences[0]).toHaveLength(3);
    expect(result.sequences[0]!.at(-1)).toBe(EOS);
    expect(result.sequences).toEqual([
      referenceGreedy(model, PROMPTS[0]!, { maxNewTokens: 8, eosTokenIds: [EOS] }),
    ]);
    expect(model.stepCalls).toBe(2);
  });

  it('stops on any of several EOS ids', async () => {
    const model = toyModel({ logits: forceEosAt(7, 3, 1, 9) });
    const result = await generate(
      model,
      embedPrompts([PROMPTS[0]!]),
      greedyOptions({ eosTokenIds: [EOS, 9] }),
    );
    expect(result.sequences[0]).toHaveLength(2);
    expect(result.sequences[0]!.at(-1)).toBe(9);
  });

  it('a left-padded batch equals each row run alone; finished rows are padded', async () => {
    const model = toyModel({ logits: forceEosAt(11, 5, 2) });
    const streamer = new RecordingStreamer();
    const batch = await generate(model, embedPrompts(PROMPTS, 3, PAD), greedyOptions(), streamer);
    const singles = PROMPTS.map((prompt) =>
      referenceGreedy(model, prompt, { maxNewTokens: 8, eosTokenIds: [EOS] }),
    );
    expect(batch.sequences).toEqual(singles);
    expect(batch.sequences[1]).toHaveLength(3);
    expect(batch.padded[1]).toEqual([...singles[1]!, PAD, PAD, PAD, PAD, PAD]);
    expect(batch.padded.map((row) => row.length)).toEqual([8, 8, 8]);
    // HF keeps running finished rows on pads; their tokens cannot change, so the model here runs
    // only the rows still generating: row 1 (EOS as its 3rd token) leaves after two steps.
    expect(model.newMaskColumns).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      ...new Array<number[]>(5).fill([1, 1]),
    ]);
    // The streamer saw exactly the real tokens of each row, then one end().
    expect([...streamer.rows.entries()].sort()).toEqual(batch.sequences.map((s, i) => [i, s]));
    expect(streamer.ended).toBe(1);

    // Also through the real stepping path: each row alone via generate().
    for (const [index, prompt] of PROMPTS.entries()) {
      const alone = await generate(model, embedPrompts([prompt]), greedyOptions());
      expect(alone.sequences).toEqual([batch.sequences[index]]);
    }
  });

  it('stops the batch as soon as every row has finished', async () => {
    const model = toyModel({ logits: (_, random) => ((random[EOS] = 50), random) });
    const result = await generate(model, embedPrompts(PROMPTS), greedyOptions());
    expect(result.sequences).toEqual([[EOS], [EOS], [EOS]]);
    expect(model.stepCalls).toBe(0);
  });

  it('applies the repetition penalty over the seen ids and generated tokens', async () => {
    const model = toyModel();
    const seen = [[1, 1, ...PROMPTS[0]!]];
    const options = greedyOptions({ repetitionPenalty: 1e6, maxNewTokens: 10 });
    const result = await generate(
      model,
      { ...embedPrompts([PROMPTS[0]!]), seenTokenIds: seen },
      options,
    );
    const expected = referenceGreedy(model, PROMPTS[0]!, {
      maxNewTokens: 10,
      eosTokenIds: [EOS],
      repetitionPenalty: 1e6,
      seen: seen[0],
    });
    expect(result.sequences).toEqual([expected]);
    const all = [...seen[0]!, ...result.sequences[0]!];
    expect(new Set(all.slice(seen[0]!.length)).size).toBe(result.sequences[0]!.length);
    for (const token of result.sequences[0]!) expect(seen[0]).not.toContain(token);
  });

  it('min new tokens delays EOS; no-repeat-ngram of size 1 forbids any repeat', async () => {
    const eager = toyModel({ logits: (_, random) => ((random[EOS] = 50), random) });
    const delayed = await generate(
      eager,
      embedPrompts([PROMPTS[1]!]),
      greedyOptions({ minNewTokens: 3 }),
    );
    expect(delayed.sequences[0]).toHaveLength(4);
    expect(delayed.sequences[0]!.at(-1)).toBe(EOS);
    expect(delayed.sequences[0]!.slice(0, 3)).not.toContain(EOS);

    const model = toyModel({ logits: (_, random) => ((random[EOS] = -50), random) });
    const seenTokenIds = [PROMPTS[1]!];
    const result = await generate(
      model,
      { ...embedPrompts([PROMPTS[1]!]), seenTokenIds },
      greedyOptions({ noRepeatNgramSize: 1, maxNewTokens: 12 }),
    );
    const all = [...PROMPTS[1]!, ...result.sequences[0]!];
    expect(new Set(all).size).toBe(all.length);
  });

  it('disposes every cache even when the model fails mid-way', async () => {
    const model = toyModel({ failOnStep: 3 });
    await expect(generate(model, embedPrompts(PROMPTS), greedyOptions())).rejects.toThrow(
      'toy model failure',
    );
    const beams = toyModel({ failOnStep: 2 });
    await expect(
      generate(beams, embedPrompts(PROMPTS), greedyOptions({ numBeams: 3 })),
    ).rejects.toThrow('toy model failure');
  });

  it('rejects inconsistent options and inputs', async () => {
    const model = toyModel();
    const input = embedPrompts([PROMPTS[0]!]);
    await expect(
      generate(model, input, greedyOptions({ numReturnSequences: 2 })),
    ).rejects.toThrow();
    await expect(
      generate(model, input, greedyOptions({ numBeams: 2, numReturnSequences: 3 })),
    ).rejects.toThrow();
    await expect(
      generate(model, input, greedyOptions({ numBeams: 2, doSample: true })),
    ).rejects.toThrow();
    await expect(
      generate(model, { ...input, attentionMask: [[1]] }, greedyOptions()),
    ).rejects.toThrow();
    expect(model.prefillCalls).toBe(0);
  });
});

describe('generate: sampling', () => {
  const sampleOptions = (overrides: Partial<GenerationOptions> = {}) =>
    greedyOptions({ doSample: true, topK: 0, seed: 99, maxNewTokens: 10, ...overrides });

  it('is reproducible with a fixed seed and depends on it', async () => {
    const model = toyModel({ logits: (_, random) => ((random[EOS] = -50), random) });
    const input = embedPrompts(PROMPTS);
    const first = await generate(model, input, sampleOptions());
    const again = await generate(model, input, sampleOptions());
    expect(again.sequences).toEqual(first.sequences);
    const others = await Promise.all(
      [1, 2, 3].map((seed) => generate(model, input, sampleOptions({ seed }))),
    );
    expect(
      others.some((other) => JSON.stringify(other.sequences) !== JSON.stringify(first.sequences)),
    ).toBe(true);
    // Sampling at temperature 1 on these logits does not just reproduce greedy.
    const greedy = await generate(model, input, greedyOptions({ maxNewTokens: 10 }));
    expect(first.sequences).not.toEqual(greedy.sequences);
  });

  it('top-k = 1 (or a tiny temperature) equals greedy', async () => {
    const model = toyModel({ logits: forceEosAt(11, 5, 4) });
    const input = embedPrompts(PROMPTS);
    const greedy = await generate(model, input, greedyOptions());
    expect(
      (await generate(model, input, sampleOptions({ topK: 1, maxNewTokens: 8 }))).sequences,
    ).toEqual(greedy.sequences);
    expect(
      (await generate(model, input, sampleOptions({ temperature: 1e-4, maxNewTokens: 8 })))
        .sequences,
    ).toEqual(greedy.sequences);
  });

  it('top-p keeps only the nucleus', async () => {
    // The two best tokens carry ~99.99% of the mass; top-p 0.5 must always pick the best.
    const model = toyModel({
      logits: (history) => {
        const logits = new Float32Array(VOCAB).fill(-20);
        logits[(history.length * 5) % VOCAB] = 2;
        logits[(history.length * 5 + 1) % VOCAB] = 1.9;
        return logits;
      },
    });
    const input = embedPrompts([PROMPTS[0]!]);
    const nucleus = await generate(model, input, sampleOptions({ topP: 0.5, eosTokenIds: [] }));
    const greedy = await generate(
      model,
      input,
      greedyOptions({ maxNewTokens: 10, eosTokenIds: [] }),
    );
    expect(nucleus.sequences).toEqual(greedy.sequences);
    const wide = await generate(model, input, sampleOptions({ topP: 0.99, eosTokenIds: [] }));
    expect(wide.sequences).not.toEqual(greedy.sequences);
  });

  it('returns numReturnSequences samples per input row, streamed per output row', async () => {
    const model = toyModel({ logits: forceEosAt(11, 5, 1) });
    const streamer = new RecordingStreamer();
    const result = await generate(
      model,
      embedPrompts(PROMPTS),
      sampleOptions({ numReturnSequences: 3, topK: 5 }),
      streamer,
    );
    expect(result.sequences).toHaveLength(9);
    for (const index of [3, 4, 5]) expect(result.sequences[index]).toHaveLength(2);
    expect([...streamer.rows.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      result.sequences.map((s, i) => [i, s]),
    );
    expect(new Set(result.sequences.slice(0, 3).map(String)).size).toBeGreaterThan(1);
  });
});
