import type {
  CausalLanguageModel,
  EmbeddingDims,
  KvCache,
  StepOutput,
} from '../generation/language-model.ts';
import type { GraphSession } from '../runtime/ort.ts';
import { floatTensor, int64Tensor, type Tensor } from '../runtime/tensor.ts';
import { positionIdsFromMask } from '../text/prompts.ts';

export interface DecoderShape {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  headDim: number;
}

/**
 * Per-layer key/value tensors [storedRows, heads, length, headDim] as the decoder graph returned
 * them, shared by every cache view made from them and released when the last view is disposed.
 */
class KvStorage {
  private views = 1;

  constructor(
    readonly layers: readonly { key: Tensor<'float32'>; value: Tensor<'float32'> }[],
    readonly rows: number,
  ) {}

  retain(): this {
    this.views++;
    return this;
  }

  release(): void {
    if (--this.views > 0) return;
    for (const { key, value } of this.layers) {
      key.dispose();
      value.dispose();
    }
  }
}

/**
 * A view of stored rows: row i of this cache is stored row `order[i]`. Reordering beams only
 * makes a new view; the decoder graph gathers the rows (`beam_idx`) where it appends the new
 * position, so no step copies the cache in JavaScript.
 */
class OrtKvCache implements KvCache {
  private disposed = false;

  constructor(
    readonly storage: KvStorage,
    readonly order: readonly number[],
    readonly length: number,
  ) {}

  get rows(): number {
    return this.order.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
  }
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
 * OPTDecoder does.
 */
export class OptLanguageModel implements CausalLanguageModel {
  /** Rows the decoder graph ran with, per call (prefill and steps), newest last. */
  readonly rowsPerRun: number[] = [];

  constructor(
    private readonly decoder: GraphSession,
    readonly shape: DecoderShape,
  ) {}

  get vocabSize(): number {
    return this.shape.vocabSize;
  }

  /**
   * One decoder pass over `embeds` [rows, P, hidden] followed by `tokenIds` [rows][T], after the
   * cached positions (none for a prefill). Consumes `cache`.
   */
  async run(
    embeds: Tensor<'float32'>,
    tokenIds: readonly (readonly number[])[],
    attentionMask: readonly (readonly number[])[],
    cache?: KvCache,
  ): Promise<DecoderRun> {
    const [rows, prefixLength] = embeds.dims as [number, number, number];
    const past = cache ? asOrtCache(cache) : this.emptyCache(rows);
    try {
      const tokenLength = tokenIds[0]?.length ?? 0;
      if (tokenIds.length !== rows || tokenIds.some((ids) => ids.length !== tokenLength))
        throw new Error(`token ids must be [${rows}][${tokenLength}]`);
      if (past.rows !== rows) throw new Error(`cache has ${past.rows} rows, the step ${rows}`);
      const seq = prefixLength + tokenLength;
      const positions = positionIdsFromMask(attentionMask).map((row) =>
        row.slice(row.length - seq),
      );
      const feeds: Record<string, Tensor> = {
        inputs_embeds: embeds,
        input_ids: int64Tensor(tokenIds.flat(), [rows, tokenLength]),
        attention_mask: int64Tensor(attentionMask),
        position_ids: int64Tensor(positions),
        beam_idx: int64Tensor(past.order),
      };
      past.storage.layers.forEach(({ key, value }, i) => {
        feeds[`past_key_values.${i}.key`] = key;
        feeds[`past_key_values.${i}.value`] = value;
      });
      this.rowsPerRun.push(rows);
      const out = await this.decoder.run(feeds);
      const layers = past.storage.layers.map((_, i) => ({
        key: out[`present.${i}.key`] as Tensor<'float32'>,
        value: out[`present.${i}.value`] as Tensor<'float32'>,
      }));
      const identity = Array.from({ length: rows }, (_, r) => r);
      return {
        logits: out.logits as Tensor<'float32'>,
        cache: new OrtKvCache(new KvStorage(layers, rows), identity, past.length + seq),
      };
    } finally {
      // The generation contract: a step owns the cache it is given, also when it fails.
      past.dispose();
    }
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
    const source = asOrtCache(cache);
    const order = indices.map((i) => {
      const stored = source.order[i];
      if (stored === undefined) throw new RangeError(`selectRows: no row ${i} in the cache`);
      return stored;
    });
    return new OrtKvCache(source.storage.retain(), order, source.length);
  }

  private emptyCache(rows: number): OrtKvCache {
    const { numLayers, numHeads, headDim } = this.shape;
    const empty = (): Tensor<'float32'> =>
      floatTensor(new Float32Array(0), [rows, numHeads, 0, headDim]);
    const layers = Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() }));
    return new OrtKvCache(
      new KvStorage(layers, rows),
      Array.from({ length: rows }, (_, r) => r),
      0,
    );
  }
}

function asOrtCache(cache: KvCache): OrtKvCache {
  if (!(cache instanceof OrtKvCache)) throw new Error('KV cache does not belong to this model');
  return cache;
}
