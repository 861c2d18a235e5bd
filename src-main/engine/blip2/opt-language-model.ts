import type {
  CausalLanguageModel,
  EmbeddingDims,
  KvCache,
  StepOutput,
} from '../generation/language-model.ts';
import type { GraphSession } from '../runtime/ort.ts';
import { floatTensor, int64Tensor, type Tensor } from '../runtime/tensor.ts';
import { positionIdsFromMask } from '../text/prompts.ts';
import { ConcatKvCache, KvStorage } from './concat-kv-cache.ts';
import { SharedKvCache } from './shared-kv-cache.ts';

export interface DecoderShape {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
}

export interface DecoderRun {
  /** [rows, vocab] logits of the last position. */
  logits: Tensor<'float32'>;
  cache: KvCache;
}

/**
 * The converted OPT decoder behind the generation layer's `CausalLanguageModel` contract: prefill
 * over the image-query embeddings followed by the prompt's token ids (embedded in the graph), then
 * one token per row with the KV cache; position ids derived from the mask exactly as HF's
 * OPTDecoder does. The cache layout follows the graph (see `KvCacheLayout` in the builder): a
 * buffer the graph extends in place, or tensors it returns grown.
 */
export class OptLanguageModel implements CausalLanguageModel {
  private readonly sharedBuffer: boolean;

  constructor(
    private readonly decoder: GraphSession,
    readonly shape: DecoderShape,
  ) {
    this.sharedBuffer = !decoder.inputNames.includes('beam_idx');
  }

  get vocabSize(): number {
    return this.shape.vocabSize;
  }

  /**
   * One decoder pass over `embeds` [rows, P, hidden] followed by `tokenIds` [rows][T], after the
   * cached positions (none for a prefill). Consumes `cache`, also when it fails.
   */
  async run(
    embeds: Tensor<'float32'>,
    tokenIds: readonly (readonly number[])[],
    attentionMask: readonly (readonly number[])[],
    cache?: KvCache,
  ): Promise<DecoderRun> {
    const [rows, prefixLength] = embeds.dims as [number, number, number];
    const past = cache ? this.own(cache) : undefined;
    try {
      const tokenLength = tokenIds[0]?.length ?? 0;
      if (tokenIds.length !== rows || tokenIds.some((ids) => ids.length !== tokenLength))
        throw new Error(`token ids must be [${rows}][${tokenLength}]`);
      if (past && past.rows !== rows)
        throw new Error(`cache has ${past.rows} rows, the step ${rows}`);
      const seq = prefixLength + tokenLength;
      const positions = positionIdsFromMask(attentionMask).map((row) =>
        row.slice(row.length - seq),
      );
      const feeds: Record<string, Tensor> = {
        inputs_embeds: embeds,
        input_ids: int64Tensor(tokenIds.flat(), [rows, tokenLength]),
        attention_mask: int64Tensor(attentionMask),
        position_ids: int64Tensor(positions),
      };
      return this.sharedBuffer
        ? await this.runInPlace(feeds, rows, seq, past as SharedKvCache | undefined)
        : await this.runConcat(feeds, rows, seq, past as ConcatKvCache | undefined);
    } finally {
      // The generation contract: a step owns the cache it is given, also when it fails.
      past?.dispose();
    }
  }

  private async runInPlace(
    feeds: Record<string, Tensor>,
    rows: number,
    seq: number,
    past: SharedKvCache | undefined,
  ): Promise<DecoderRun> {
    const length = past?.length ?? 0;
    const buffers = past ? past.prepare(seq) : SharedKvCache.forPrefill(this.shape, rows, seq);
    try {
      const out = await this.decoder.runInto(
        { ...feeds, ...buffers.tensors(rows, 'past_key_values') },
        buffers.tensors(rows, 'present'),
      );
      const order = Array.from({ length: rows }, (_, r) => r);
      return {
        logits: out.logits as Tensor<'float32'>,
        cache: new SharedKvCache(buffers, order, length + seq),
      };
    } catch (error) {
      buffers.views--;
      throw error;
    }
  }

  private async runConcat(
    feeds: Record<string, Tensor>,
    rows: number,
    seq: number,
    cache: ConcatKvCache | undefined,
  ): Promise<DecoderRun> {
    const past = cache ?? this.emptyConcatCache(rows);
    feeds.beam_idx = int64Tensor(past.order);
    past.storage.layers.forEach(({ key, value }, i) => {
      feeds[`past_key_values.${i}.key`] = key;
      feeds[`past_key_values.${i}.value`] = value;
    });
    const out = await this.decoder.run(feeds);
    const layers = past.storage.layers.map((_, i) => ({
      key: out[`present.${i}.key`] as Tensor<'float32'>,
      value: out[`present.${i}.value`] as Tensor<'float32'>,
    }));
    const identity = Array.from({ length: rows }, (_, r) => r);
    return {
      logits: out.logits as Tensor<'float32'>,
      cache: new ConcatKvCache(new KvStorage(layers, rows), identity, past.length + seq),
    };
  }

  async prefill(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
    promptTokenIds?: readonly (readonly number[])[],
  ): Promise<StepOutput> {
    const { logits, cache } = await this.run(
      floatTensor(inputsEmbeds, dims),
      promptTokenIds ?? Array.from({ length: dims[0] }, () => []),
      attentionMask,
    );
    return { logits: logits.data, cache };
  }

  async step(
    tokenIds: readonly number[],
    attentionMask: number[][],
    cache: KvCache,
  ): Promise<StepOutput> {
    const noEmbeds = floatTensor(new Float32Array(0), [tokenIds.length, 0, this.shape.hiddenSize]);
    const { logits, cache: next } = await this.run(
      noEmbeds,
      tokenIds.map((id) => [id]),
      attentionMask,
      cache,
    );
    return { logits: logits.data, cache: next };
  }

  selectRows(cache: KvCache, indices: readonly number[]): KvCache {
    return this.own(cache).select(indices);
  }

  private own(cache: KvCache): SharedKvCache | ConcatKvCache {
    if (this.sharedBuffer && cache instanceof SharedKvCache) return cache;
    if (!this.sharedBuffer && cache instanceof ConcatKvCache) return cache;
    throw new Error('KV cache does not belong to this model');
  }

  private emptyConcatCache(rows: number): ConcatKvCache {
    const { numLayers, numHeads, headDim } = this.shape;
    const empty = (): Tensor<'float32'> =>
      floatTensor(new Float32Array(0), [rows, numHeads, 0, headDim]);
    const layers = Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() }));
    return new ConcatKvCache(
      new KvStorage(layers, rows),
      Array.from({ length: rows }, (_, r) => r),
      0,
    );
  }
}
