import type { RuntimeOptions } from '../runtime/providers.ts';
import { int64Tensor, maskTensor, type Tensor } from '../runtime/tensor.ts';
import { buildItmTextInputs } from '../text/prompts.ts';
import { ConvertedModel } from './converted-model.ts';

/** Blip2ForImageTextRetrieval on converted graphs: ITC features for search, ITM for re-ranking. */
export class Blip2Retrieval {
  private constructor(readonly model: ConvertedModel) {}

  static async load(dir: string, runtime: RuntimeOptions): Promise<Blip2Retrieval> {
    return new Blip2Retrieval(
      await ConvertedModel.load(dir, runtime, 'Blip2ForImageTextRetrieval'),
    );
  }

  /** image_embeds → image_feats [B, queries, E], L2-normalised per query. */
  async imageFeatures(imageEmbeds: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    const session = await this.model.session('image_features');
    const out = await session.run({ image_embeds: imageEmbeds }, ['image_feats']);
    return out.image_feats as Tensor<'float32'>;
  }

  /** Texts → text_feat [B, E] (the [CLS] position, projected and L2-normalised). */
  async textFeatures(texts: readonly string[]): Promise<Tensor<'float32'>> {
    const { inputIds, attentionMask } = this.textInputs(texts);
    const session = await this.model.session('text_features');
    const out = await session.run(
      { input_ids: int64Tensor(inputIds), attention_mask: maskTensor(attentionMask) },
      ['text_feat'],
    );
    return out.text_feat as Tensor<'float32'>;
  }

  /** ITM logits [B, 2] for pairs (image_embeds row b, texts[b]); probabilities = softmax[…, 1]. */
  async itm(
    imageEmbeds: Tensor<'float32'>,
    texts: readonly string[],
  ): Promise<{ logits: Float32Array; probabilities: number[] }> {
    if (imageEmbeds.dims[0] !== texts.length)
      throw new Error(`${imageEmbeds.dims[0]} images for ${texts.length} texts`);
    const { inputIds, attentionMask } = this.textInputs(texts);
    const session = await this.model.session('itm');
    const out = await session.run(
      {
        image_embeds: imageEmbeds,
        input_ids: int64Tensor(inputIds),
        attention_mask: maskTensor(attentionMask),
      },
      ['itm_logits'],
    );
    const logits = out.itm_logits!.data as Float32Array;
    return {
      logits,
      probabilities: texts.map((_, b) => matchProbability(logits[2 * b]!, logits[2 * b + 1]!)),
    };
  }

  textInputs(texts: readonly string[]): { inputIds: number[][]; attentionMask: number[][] } {
    const maxLength = this.model.manifest.qformerMaxTextLength ?? undefined;
    return buildItmTextInputs(
      this.model.tokenizer,
      texts,
      maxLength === undefined ? {} : { maxLength },
    );
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}

/** softmax([noMatch, match])[1], computed stably. */
export function matchProbability(noMatch: number, match: number): number {
  return 1 / (1 + Math.exp(noMatch - match));
}

/** ITC score: max over the image's query vectors of the cosine with the text vector (both normalised). */
export function itcScore(imageFeats: Float32Array, textFeat: Float32Array): number {
  const dim = textFeat.length;
  let best = -Infinity;
  for (let q = 0; q < imageFeats.length / dim; q++) {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += imageFeats[q * dim + i]! * textFeat[i]!;
    best = Math.max(best, dot);
  }
  return best;
}
