import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval, itcScore } from '../../../../src-main/engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../../../src-main/engine/blip2/vision-encoder.ts';
import { sharesVisionTower } from '../../../../src-main/engine/blip2/converted-model.ts';
import type { OptLanguageModel } from '../../../../src-main/engine/blip2/opt-language-model.ts';
import { floatTensor, type Tensor } from '../../../../src-main/engine/runtime/tensor.ts';
import {
  GOLDEN_IMAGE_NAMES,
  TOLERANCE,
  compareClose,
  convertFixtures,
  golden,
  goldenFloats,
  imagePath,
  type ConvertedFixture,
  type GoldenTensor,
  expectLogitsAlongTokens,
} from '../../../support/golden.ts';

const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };

interface GenerationCase {
  name: string;
  images: string[];
  prompts: string[] | null;
  input_ids: number[][];
  attention_mask: number[][];
  max_new_tokens: number;
  eos_token_id: number;
  pad_token_id: number;
  new_tokens: number[][];
  prefill_last_logits: GoldenTensor;
  step_logits: GoldenTensor;
  generated_text: string[];
  inputs_embeds?: GoldenTensor;
  prefill_logits_all_positions?: GoldenTensor;
}

const g = golden();
const opt = g.opt_model as Record<string, GoldenTensor> & { generation: GenerationCase[] };
const itm = g.itm_model as Record<string, GoldenTensor> & {
  texts: string[];
  input_ids: number[][];
  attention_mask: number[][];
  itm_pairs: { image_index: number[]; text_index: number[] };
};

function expectClose(
  actual: ArrayLike<number>,
  expected: GoldenTensor | Float32Array,
  tol: { atol: number; rtol: number },
): void {
  const want = expected instanceof Float32Array ? expected : goldenFloats(expected);
  const result = compareClose(actual, want, tol.atol, tol.rtol);
  expect(result.ok, `max |diff| ${result.maxAbs} at ${result.worstIndex}`).toBe(true);
}

/** golden [B, S, D] → its first `count` positions of every row, [B, count, D]. */
function leadingPositions(golden: GoldenTensor, count: number): Float32Array {
  const [batch, length, width] = golden.shape as [number, number, number];
  const values = goldenFloats(golden);
  const out = new Float32Array(batch * count * width);
  for (let b = 0; b < batch; b++)
    out.set(values.subarray(b * length * width, (b * length + count) * width), b * count * width);
  return out;
}

/** Last-position logits of a prefill over the first `end` positions of `prompt`. */
async function prefillPrefix(
  lm: OptLanguageModel,
  prompt: { queryEmbeds: Tensor<'float32'>; tokenIds: number[][] },
  attentionMask: number[][],
  end: number,
): Promise<Float32Array> {
  const [batch, queries, width] = prompt.queryEmbeds.dims as [number, number, number];
  const kept = Math.min(end, queries);
  const embeds = new Float32Array(batch * kept * width);
  for (let b = 0; b < batch; b++)
    embeds.set(
      prompt.queryEmbeds.data.subarray(b * queries * width, (b * queries + kept) * width),
      b * kept * width,
    );
  const out = await lm.prefill(
    embeds,
    [batch, kept, width],
    attentionMask.map((row) => row.slice(0, end)),
    prompt.tokenIds.map((ids) => ids.slice(0, end - kept)),
  );
  out.cache.dispose();
  return out.logits;
}

/** Rows of a [B, ...] tensor. */
function rows(t: Tensor<'float32'>, indices: number[]): Tensor<'float32'> {
  const size = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * size);
  indices.forEach((r, i) => out.set(t.data.subarray(r * size, (r + 1) * size), i * size));
  return floatTensor(out, [indices.length, ...t.dims.slice(1)]);
}

describe('BLIP-2 golden parity (tiny fixture, converted with models convert)', () => {
  let fixture: ConvertedFixture;
  let captioner: Blip2Captioner;
  let retrieval: Blip2Retrieval;
  let optEmbeds: Tensor<'float32'>;
  let itmEmbeds: Tensor<'float32'>;

  beforeAll(async () => {
    fixture = convertFixtures();
    captioner = await Blip2Captioner.load(fixture.opt, CPU);
    retrieval = await Blip2Retrieval.load(fixture.itm, CPU);
    const paths = GOLDEN_IMAGE_NAMES.map(imagePath);
    optEmbeds = await encodeImages(captioner.model, await loadPixelBatch(captioner.model, paths));
    itmEmbeds = await encodeImages(retrieval.model, await loadPixelBatch(retrieval.model, paths));
  });

  afterAll(async () => {
    await captioner.release();
    await retrieval.release();
    fixture.cleanup();
  });

  it('vision tower of the fp16 checkpoint matches from the image files', () => {
    expect(optEmbeds.dims).toEqual(opt.vision_last_hidden_state!.shape);
    expectClose(optEmbeds.data, opt.vision_last_hidden_state!, TOLERANCE.features);
  });

  it('vision tower of the fp32 checkpoint matches, and the towers are recognised as shared', () => {
    expectClose(itmEmbeds.data, opt.vision_last_hidden_state!, TOLERANCE.features);
    expect(sharesVisionTower(captioner.model.manifest, retrieval.model.manifest)).toBe(true);
  });

  it('Q-Former query output and language projection match', async () => {
    const { queryOutput, languageInputs } = await captioner.projectImages(optEmbeds);
    expectClose(queryOutput.data, opt.qformer_last_hidden_state!, TOLERANCE.features);
    expectClose(languageInputs.data, opt.language_projection!, TOLERANCE.features);
  });

  describe.each(opt.generation.map((c) => [c.name, c] as const))(
    'generation case %s',
    (_name, c) => {
      const imageRows = c.images.map((n) =>
        GOLDEN_IMAGE_NAMES.indexOf(n as (typeof GOLDEN_IMAGE_NAMES)[number]),
      );
      const prompts = c.prompts ?? c.images.map(() => null);

      it('builds the same input_ids and attention mask', () => {
        const inputs = captioner.buildInputs(prompts);
        expect(inputs.inputIds).toEqual(c.input_ids);
        expect(inputs.attentionMask).toEqual(c.attention_mask);
      });

      it('reproduces prefill and per-step logits along the golden tokens', async () => {
        const { languageInputs } = await captioner.projectImages(rows(optEmbeds, imageRows));
        const inputs = captioner.buildInputs(prompts);
        const prompt = captioner.buildPrompt(languageInputs, inputs);
        // The decoder embeds the text ids itself: the queries are the embeddings it is given.
        if (c.inputs_embeds)
          expectClose(
            prompt.queryEmbeds.data,
            leadingPositions(c.inputs_embeds, prompt.queryEmbeds.dims[1]!),
            TOLERANCE.features,
          );
        const lm = captioner.languageModel;
        if (c.prefill_logits_all_positions) {
          // The graph computes the last position only; a prefill of each prompt prefix gives
          // every position's logits (causal attention: the later positions cannot change them).
          const golden = c.prefill_logits_all_positions;
          const [batch, length, vocab] = golden.shape as [number, number, number];
          const values = goldenFloats(golden);
          for (let end = 1; end <= length; end++) {
            const out = await prefillPrefix(lm, prompt, inputs.attentionMask, end);
            const want = new Float32Array(batch * vocab);
            for (let b = 0; b < batch; b++)
              want.set(
                values.subarray((b * length + end - 1) * vocab, (b * length + end) * vocab),
                b * vocab,
              );
            expectClose(out, want, TOLERANCE.logits);
          }
        }
        const prefill = await lm.prefill(
          prompt.queryEmbeds.data,
          prompt.queryEmbeds.dims as [number, number, number],
          inputs.attentionMask,
          prompt.tokenIds,
        );
        expectClose(prefill.logits, c.prefill_last_logits, TOLERANCE.logits);
        prefill.cache.dispose();
        await expectLogitsAlongTokens(lm, prompt, inputs.attentionMask, c.new_tokens, {
          shape: c.step_logits.shape,
          values: goldenFloats(c.step_logits),
        });
      });

      it('greedy generation gives exactly the golden new tokens and text', async () => {
        const results = await captioner.generate(rows(optEmbeds, imageRows), prompts, {
          maxNewTokens: c.max_new_tokens,
          eosTokenIds: [c.eos_token_id],
          padTokenId: c.pad_token_id,
        });
        // Golden rows are right-filled with pad after a row's EOS; ours stop at EOS (inclusive).
        const expected = c.new_tokens.map((row) => {
          const eos = row.indexOf(c.eos_token_id);
          return eos < 0 ? row : row.slice(0, eos + 1);
        });
        expect(results.map((r) => r.tokenIds)).toEqual(expected);
        expect(results.map((r) => r.text)).toEqual(c.generated_text.map((t) => t.trim()));
      });
    },
  );

  it('ITC image features and Q-Former query output match', async () => {
    const session = await retrieval.model.session('image_features');
    const out = await session.run({ image_embeds: itmEmbeds });
    expectClose(
      out.query_output!.data as Float32Array,
      itm.qformer_query_output!,
      TOLERANCE.features,
    );
    expectClose(out.image_feats!.data as Float32Array, itm.image_feats!, TOLERANCE.features);
  });

  it('ITC text features, text hidden states and tokenisation match', async () => {
    expect(retrieval.textInputs(itm.texts)).toEqual({
      inputIds: itm.input_ids,
      attentionMask: itm.attention_mask,
    });
    const session = await retrieval.model.session('text_features');
    const inputs = retrieval.textInputs(itm.texts);
    const { int64Tensor, maskTensor } =
      await import('../../../../src-main/engine/runtime/tensor.ts');
    const out = await session.run({
      input_ids: int64Tensor(inputs.inputIds),
      attention_mask: maskTensor(inputs.attentionMask),
    });
    expectClose(
      out.text_hidden_state!.data as Float32Array,
      itm.text_qformer_last_hidden_state!,
      TOLERANCE.features,
    );
    expectClose((await retrieval.textFeatures(itm.texts)).data, itm.text_feat!, TOLERANCE.features);
  });

  it('ITC scores (max over queries) match logits_per_image', async () => {
    const imageFeats = await retrieval.imageFeatures(itmEmbeds);
    const textFeats = await retrieval.textFeatures(itm.texts);
    const [nImages, queries, dim] = imageFeats.dims as [number, number, number];
    const scores: number[] = [];
    for (let i = 0; i < nImages; i++) {
      for (let t = 0; t < itm.texts.length; t++) {
        scores.push(
          itcScore(
            imageFeats.data.subarray(i * queries * dim, (i + 1) * queries * dim),
            textFeats.data.subarray(t * dim, (t + 1) * dim),
          ),
        );
      }
    }
    expectClose(scores, itm.itc_logits_per_image!, TOLERANCE.scores);
  });

  it('ITM logits, query outputs and match probabilities match for every pair', async () => {
    const { image_index, text_index } = itm.itm_pairs;
    const embeds = rows(itmEmbeds, image_index);
    const texts = text_index.map((t) => itm.texts[t]!);
    const { logits, probabilities } = await retrieval.itm(embeds, texts);
    expectClose(logits, itm.itm_logits!, TOLERANCE.scores);
    expectClose(probabilities, itm.itm_probs!, TOLERANCE.scores);
    const session = await retrieval.model.session('itm');
    const { int64Tensor, maskTensor } =
      await import('../../../../src-main/engine/runtime/tensor.ts');
    const inputs = retrieval.textInputs(texts);
    const out = await session.run({
      image_embeds: embeds,
      input_ids: int64Tensor(inputs.inputIds),
      attention_mask: maskTensor(inputs.attentionMask),
    });
    expectClose(
      out.query_output!.data as Float32Array,
      itm.itm_qformer_query_output!,
      TOLERANCE.features,
    );
  });
});
