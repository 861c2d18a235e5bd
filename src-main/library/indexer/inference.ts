import type { Blip2Captioner, CaptionOptions } from '../../engine/blip2/captioner.ts';
import { sharesVisionTower } from '../../engine/blip2/converted-model.ts';
import { itcScore, type Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import { encodeImages } from '../../engine/blip2/vision-encoder.ts';
import { floatTensor, type Tensor } from '../../engine/runtime/tensor.ts';
import { DEFAULT_TAG_VOCABULARY, captionTerms, tagPrompt } from './tag-vocabulary.ts';

export interface InferenceOptions {
  caption: CaptionOptions;
  /** CapFilt (BLIP): also sample this many captions and keep the one ITM scores highest. 0 = off. */
  capfiltSamples: number;
  tagVocabulary: readonly string[];
  /** Zero-shot tags: keep at most this many, each within `tagMargin` of the best ITC score. */
  maxTags: number;
  tagMargin: number;
}

export const DEFAULT_INFERENCE_OPTIONS: InferenceOptions = {
  // Beam search by default for library captions (fewer degenerate repeats than greedy).
  caption: { maxNewTokens: 30, numBeams: 3, repetitionPenalty: 1.0 },
  capfiltSamples: 0,
  tagVocabulary: DEFAULT_TAG_VOCABULARY,
  maxTags: 8,
  tagMargin: 0.05,
};

export interface PhotoInference {
  caption: string;
  /** ITM probability of the kept caption when CapFilt ran; null otherwise. */
  captionScore: number | null;
  /** [rows × cols] ITC image features (normalised per query). */
  imageFeats: Float32Array;
  rows: number;
  cols: number;
  tags: { tag: string; source: 'zero-shot' | 'caption'; score: number | null }[];
}

/**
 * One batch of photos through BLIP-2: the ViT-g once per photo when both checkpoints share it,
 * ITC image features for search, a caption (beam search, optionally CapFilt), and tags.
 */
export class BatchInference {
  private vocabularyFeats: Float32Array | undefined;
  readonly visionShared: boolean;

  constructor(
    private readonly captioner: Blip2Captioner,
    private readonly retrieval: Blip2Retrieval,
    readonly options: InferenceOptions = DEFAULT_INFERENCE_OPTIONS,
  ) {
    this.visionShared = sharesVisionTower(captioner.model.manifest, retrieval.model.manifest);
  }

  async run(
    pixelValues: readonly Float32Array[],
    needsCaption: readonly boolean[],
  ): Promise<PhotoInference[]> {
    const size = this.captioner.model.manifest.imageSize;
    const count = pixelValues.length;
    const batch = new Float32Array(count * 3 * size * size);
    pixelValues.forEach((p, i) => batch.set(p, i * 3 * size * size));
    const pixels = { data: batch, dims: [count, 3, size, size] as const };
    const captionEmbeds = await encodeImages(this.captioner.model, pixels);
    const searchEmbeds = this.visionShared
      ? captionEmbeds
      : await encodeImages(this.retrieval.model, pixels);
    try {
      const feats = await this.retrieval.imageFeatures(searchEmbeds);
      const [, rows, cols] = feats.dims as [number, number, number];
      const captions = await this.captions(captionEmbeds, searchEmbeds, needsCaption);
      const vocabulary = await this.vocabularyFeatures();
      return Array.from({ length: count }, (_, i) => {
        const imageFeats = feats.data.slice(i * rows * cols, (i + 1) * rows * cols);
        const caption = captions[i];
        return {
          caption: caption?.text ?? '',
          captionScore: caption?.score ?? null,
          imageFeats,
          rows,
          cols,
          tags: [
            ...this.zeroShotTags(imageFeats, vocabulary, cols),
            ...captionTags(caption?.text ?? ''),
          ],
        };
      });
    } finally {
      captionEmbeds.dispose();
      searchEmbeds.dispose();
    }
  }

  private async captions(
    captionEmbeds: Tensor<'float32'>,
    searchEmbeds: Tensor<'float32'>,
    needsCaption: readonly boolean[],
  ): Promise<({ text: string; score: number | null } | undefined)[]> {
    const wanted = needsCaption.flatMap((need, i) => (need ? [i] : []));
    if (wanted.length === 0) return needsCaption.map(() => undefined);
    const embeds = selectRows(captionEmbeds, wanted);
    const beams = await this.captioner.generate(
      embeds,
      wanted.map(() => null),
      this.options.caption,
    );
    let chosen = beams.map((b) => ({ text: b.text, score: null as number | null }));
    if (this.options.capfiltSamples > 0)
      chosen = await this.capfilt(embeds, selectRows(searchEmbeds, wanted), chosen);
    embeds.dispose();
    const out: ({ text: string; score: number | null } | undefined)[] = needsCaption.map(
      () => undefined,
    );
    wanted.forEach((photo, i) => (out[photo] = chosen[i]));
    return out;
  }

  /** CapFilt: nucleus-sampled candidates plus the beam caption, filtered by ITM. */
  private async capfilt(
    captionEmbeds: Tensor<'float32'>,
    searchEmbeds: Tensor<'float32'>,
    beams: { text: string; score: number | null }[],
  ): Promise<{ text: string; score: number }[]> {
    const n = this.options.capfiltSamples;
    const sampled = await this.captioner.generate(
      captionEmbeds,
      beams.map(() => null),
      {
        ...this.options.caption,
        numBeams: 1,
        doSample: true,
        topP: 0.9,
        topK: 0,
        numReturnSequences: n,
        seed: 1,
      },
    );
    const result: { text: string; score: number }[] = [];
    for (const [i, beam] of beams.entries()) {
      const candidates = [
        ...new Set([beam.text, ...sampled.slice(i * n, (i + 1) * n).map((s) => s.text)]),
      ].filter(Boolean);
      const repeated = selectRows(
        searchEmbeds,
        candidates.map(() => i),
      );
      const { probabilities } = await this.retrieval.itm(repeated, candidates);
      repeated.dispose();
      const best = probabilities.indexOf(Math.max(...probabilities));
      result.push({ text: candidates[best] ?? beam.text, score: probabilities[best] ?? 0 });
    }
    return result;
  }

  private async vocabularyFeatures(): Promise<Float32Array> {
    if (!this.vocabularyFeats) {
      const feats = await this.retrieval.textFeatures(this.options.tagVocabulary.map(tagPrompt));
      this.vocabularyFeats = feats.data.slice();
      feats.dispose();
    }
    return this.vocabularyFeats;
  }

  private zeroShotTags(
    imageFeats: Float32Array,
    vocabulary: Float32Array,
    cols: number,
  ): PhotoInference['tags'] {
    const scored = this.options.tagVocabulary.map((tag, t) => ({
      tag,
      score: itcScore(imageFeats, vocabulary.subarray(t * cols, (t + 1) * cols)),
    }));
    scored.sort((a, b) => b.score - a.score);
    const best = scored[0]?.score ?? 0;
    return scored
      .filter((s) => s.score >= best - this.options.tagMargin)
      .slice(0, this.options.maxTags)
      .map((s) => ({ tag: s.tag, source: 'zero-shot' as const, score: s.score }));
  }
}

function captionTags(caption: string): PhotoInference['tags'] {
  return captionTerms(caption).map((tag) => ({ tag, source: 'caption' as const, score: null }));
}

function selectRows(t: Tensor<'float32'>, rows: readonly number[]): Tensor<'float32'> {
  const size = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, i) => out.set(t.data.subarray(r * size, (r + 1) * size), i * size));
  return floatTensor(out, [rows.length, ...t.dims.slice(1)]);
}
