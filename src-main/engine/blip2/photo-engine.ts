import type { DecodeOptions } from '../image/decode.ts';
import type { Tensor } from '../runtime/tensor.ts';
import type { Blip2Captioner, CaptionOptions, CaptionResult } from './captioner.ts';
import { sharesVisionTower, type ConvertedModel } from './converted-model.ts';
import type { Blip2Retrieval } from './retrieval.ts';
import { encodeImages, loadPixelBatch } from './vision-encoder.ts';

export interface PhotoAnalysis {
  caption: CaptionResult;
  /** [queries × E] ITC image features, L2-normalised per query. */
  imageFeats: Float32Array;
}

/**
 * Runs captioning and search embedding for a batch of photos. The ViT-g pass is the expensive
 * part (~1B parameters), so when both converted models carry the same vision weights (compared by
 * the fingerprint of their values, not assumed from the model names) it runs once per photo.
 */
export class PhotoEngine {
  readonly visionShared: boolean;

  constructor(
    readonly captioner: Blip2Captioner,
    readonly retrieval: Blip2Retrieval,
  ) {
    this.visionShared = sharesVisionTower(captioner.model.manifest, retrieval.model.manifest);
  }

  async analyze(
    sources: readonly (string | Buffer)[],
    options: CaptionOptions,
    decode?: DecodeOptions,
  ): Promise<PhotoAnalysis[]> {
    const captionEmbeds = await this.embed(this.captioner.model, sources, decode);
    const searchEmbeds = this.visionShared
      ? captionEmbeds
      : await this.embed(this.retrieval.model, sources, decode);
    const feats = await this.retrieval.imageFeatures(searchEmbeds);
    const captions = await this.captioner.generate(
      captionEmbeds,
      sources.map(() => null),
      options,
    );
    const perPhoto = feats.data.length / sources.length;
    const result = captions.map((caption, i) => ({
      caption,
      imageFeats: feats.data.slice(i * perPhoto, (i + 1) * perPhoto),
    }));
    captionEmbeds.dispose();
    searchEmbeds.dispose();
    feats.dispose();
    return result;
  }

  private async embed(
    model: ConvertedModel,
    sources: readonly (string | Buffer)[],
    decode?: DecodeOptions,
  ): Promise<Tensor<'float32'>> {
    return encodeImages(model, await loadPixelBatch(model, sources, decode));
  }
}
