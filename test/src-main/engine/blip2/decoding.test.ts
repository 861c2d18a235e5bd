import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { encodeImages, loadPixelBatch } from '../../../../src-main/engine/blip2/vision-encoder.ts';
import { beamSearch } from '../../../../src-main/engine/generation/beam-search.ts';
import {
  buildLogitsProcessors,
  buildStoppingCriteria,
  generate,
  type GenerationOptions,
} from '../../../../src-main/engine/generation/generate.ts';
import type {
  CausalLanguageModel,
  EmbeddingDims,
  KvCache,
  StepOutput,
} from '../../../../src-main/engine/generation/language-model.ts';
import type { OptLanguageModel } from '../../../../src-main/engine/blip2/opt-language-model.ts';
import { floatTensor, type Tensor } from '../../../../src-main/engine/runtime/tensor.ts';
import {
  compareClose,
  convertFixtures,
  GOLDEN_IMAGE_NAMES,
  imagePath,
  type ConvertedFixture,
} from '../../../support/golden.ts';

const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };

/** The same decoder without a KV cache: every step re-runs the whole sequence (the slow, obvious way). */
class RecomputeModel implements CausalLanguageModel {
  constructor(private readonly lm: OptLanguageModel) {}
  get vocabSize(): number {
    return this.lm.vocabSize;
  }
  private async recompute(prompt: SequenceCache, attentionMask: number[][]): Promise<StepOutput> {
    const run = await this.lm.run(
      floatTensor(prompt.embeds, prompt.dims),
      prompt.tokenIds,
      attentionMask,
    );
    run.cache.dispose();
    return { logits: run.logits.data, cache: prompt };
  }
  prefill(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
    promptTokenIds?: readonly (readonly number[])[],
  ): Promise<StepOutput> {
    const tokenIds = promptTokenIds ?? Array.from({ length: dims[0] }, () => []);
    return this.recompute(new SequenceCache(inputsEmbeds, dims, tokenIds), attentionMask);
  }
  step(
    tokenIds: readonly number[],
    attentionMask: number[][],
    cache: KvCache,
  ): Promise<StepOutput> {
    const previous = asSequence(cache);
    const grown = previous.tokenIds.map((ids, r) => [...ids, tokenIds[r]!]);
    return this.recompute(new SequenceCache(previous.embeds, previous.dims, grown), attentionMask);
  }
  selectRows(cache: KvCache, indices: readonly number[]): KvCache {
    const c = asSequence(cache);
    const [, seq, hidden] = c.dims;
    const out = new Float32Array(indices.length * seq * hidden);
    indices.forEach((r, i) =>
      out.set(c.embeds.subarray(r * seq * hidden, (r + 1) * seq * hidden), i * seq * hidden),
    );
    return new SequenceCache(
      out,
      [indices.length, seq, hidden],
      indices.map((r) => c.tokenIds[r]!),
    );
  }
}

function asSequence(cache: KvCache): SequenceCache {
  if (!(cache instanceof SequenceCache)) throw new Error('foreign cache');
  return cache;
}

/** The whole sequence so far: the prompt's embeddings, then every token id after them. */
class SequenceCache implements KvCache {
  constructor(
    readonly embeds: Float32Array,
    readonly dims: EmbeddingDims,
    readonly tokenIds: readonly (readonly number[])[],
  ) {}
  get rows(): number {
    return this.dims[0];
  }
  get length(): number {
    return this.dims[1] + (this.tokenIds[0]?.length ?? 0);
  }
  dispose(): void {}
}

describe('decoding on the converted tiny BLIP-2', () => {
  let fixture: ConvertedFixture;
  let captioner: Blip2Captioner;
  let imageEmbeds: Tensor<'float32'>;
  const prompts = ['Question: what is this? Answer:', null, 'a photo of'];

  beforeAll(async () => {
    fixture = convertFixtures();
    captioner = await Blip2Captioner.load(fixture.opt, CPU);
    imageEmbeds = await encodeImages(
      captioner.model,
      await loadPixelBatch(captioner.model, GOLDEN_IMAGE_NAMES.map(imagePath)),
    );
  });
  afterAll(async () => {
    await captioner.release();
    fixture.cleanup();
  });

  async function promptEmbeds(rows: number[], rowPrompts: (string | null)[]) {
    const size = imageEmbeds.dims.slice(1).reduce((a, b) => a * b, 1);
    const picked = new Float32Array(rows.length * size);
    rows.forEach((r, i) =>
      picked.set(imageEmbeds.data.subarray(r * size, (r + 1) * size), i * size),
    );
    const { languageInputs } = await captioner.projectImages(
      floatTensor(picked, [rows.length, ...imageEmbeds.dims.slice(1)]),
    );
    const inputs = captioner.buildInputs(rowPrompts);
    const prompt = captioner.buildPrompt(languageInputs, inputs);
    return {
      inputsEmbeds: prompt.queryEmbeds.data,
      dims: prompt.queryEmbeds.dims as unknown as EmbeddingDims,
      promptTokenIds: prompt.tokenIds,
      attentionMask: inputs.attentionMask,
      seenTokenIds: inputs.inputIds,
    };
  }

  const options = (extra: Partial<GenerationOptions> = {}): GenerationOptions => ({
    maxNewTokens: 12,
    eosTokenIds: captioner.generationDefaults.eosTokenIds,
    padTokenId: captioner.generationDefaults.padTokenId,
    ...extra,
  });

  it('KV-cache decoding equals full recomputation, token for token and logit for logit', async () => {
    const input = await promptEmbeds([0, 1, 2], prompts);
    const cached = captioner.languageModel;
    const slow = new RecomputeModel(cached);
    const args = [
      input.inputsEmbeds,
      input.dims,
      input.attentionMask,
      input.promptTokenIds,
    ] as const;
    let fast = await cached.prefill(...args);
    let reference = await slow.prefill(...args);
    const mask = input.attentionMask.map((r) => [...r]);
    let worst = 0;
    for (let step = 0; step < 12; step++) {
      const diff = compareClose(fast.logits, reference.logits, 1e-5, 1e-5);
      worst = Math.max(worst, diff.maxAbs);
      expect(diff.ok, `step ${step}: max |diff| ${diff.maxAbs}`).toBe(true);
      // Feed the same (argmax of the recomputed) tokens to both so the comparison covers 12 steps.
      const next = Array.from({ length: input.dims[0] }, (_, r) =>
        argmax(reference.logits.subarray(r * cached.vocabSize, (r + 1) * cached.vocabSize)),
      );
      mask.forEach((r) => r.push(1));
      fast = await cached.step(next, mask, fast.cache);
      reference = await slow.step(next, mask, reference.cache);
    }
    fast.cache.dispose();
    expect(worst).toBeLessThan(1e-5);
    const greedyFast = await generate(cached, input, options());
    const greedySlow = await generate(slow, input, options());
    expect(greedyFast.sequences).toEqual(greedySlow.sequences);
  });

  it('beam search with one beam equals greedy search', async () => {
    for (const rows of [[1], [0, 2], [0, 1, 2]]) {
      const input = await promptEmbeds(
        rows,
        rows.map((r) => prompts[r]!),
      );
      const opts = options({ maxNewTokens: 10 });
      const greedy = await generate(captioner.languageModel, input, opts);
      const prefill = await captioner.languageModel.prefill(
        input.inputsEmbeds,
        input.dims,
        input.attentionMask,
        input.promptTokenIds,
      );
      const beams = await beamSearch(
        {
          model: captioner.languageModel,
          prefill,
          attentionMask: input.attentionMask,
          seenTokenIds: input.seenTokenIds,
          processors: buildLogitsProcessors(opts),
          stopping: buildStoppingCriteria(opts),
          maxNewTokens: opts.maxNewTokens,
          padTokenId: opts.padTokenId,
        },
        {
          numBeams: 1,
          lengthPenalty: 1,
          earlyStopping: false,
          numReturnSequences: 1,
          eosTokenCount: opts.eosTokenIds.length,
        },
      );
      expect(beams.sequences).toEqual(greedy.sequences);
    }
  });

  it.each([
    ['greedy', {}],
    ['beam search (4 beams)', { numBeams: 4 }],
    ['beam search with repetition penalty', { numBeams: 3, repetitionPenalty: 1.5 }],
  ])('a batch of images equals running each alone: %s', async (_name, extra) => {
    const rows = [0, 1, 2];
    const batch = await captioner.generate(imageEmbedsRows(rows), prompts, options(extra));
    for (const [i, r] of rows.entries()) {
      const [alone] = await captioner.generate(imageEmbedsRows([r]), [prompts[i]!], options(extra));
      expect(batch[i]).toEqual(alone);
    }
  });

  it('streams exactly the text it returns', async () => {
    const pieces = ['', '', ''];
    const results = await captioner.generate(
      imageEmbedsRows([0, 1, 2]),
      prompts,
      options(),
      (row, text) => {
        pieces[row] = (pieces[row] ?? '') + text;
      },
    );
    expect(pieces.map((p) => p.trim())).toEqual(results.map((r) => r.text));
  });

  function imageEmbedsRows(rows: number[]): Tensor<'float32'> {
    const size = imageEmbeds.dims.slice(1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(rows.length * size);
    rows.forEach((r, i) => out.set(imageEmbeds.data.subarray(r * size, (r + 1) * size), i * size));
    return floatTensor(out, [rows.length, ...imageEmbeds.dims.slice(1)]);
  }
});

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
