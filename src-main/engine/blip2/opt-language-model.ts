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

/** Per-layer key/value tensors [rows, heads, length, headDim] returned by the decoder graph. */
class OrtKvCache implements KvCache {
  constructor(
    readonly layers: { key: Tensor<'float32'>; value: Tensor<'float32'> }[],
    readonly rows: number,
    readonly length: number,
  ) {}

  dispose(): void {
    for (const { key, value } of this.layers) {
      key.dispose();
      value.dispose();
    }
  }
}

export interface DecoderRun {
  /** [rows, T, vocab] logits for every new position. */
  logits: Tensor<'float32'>;
  cache: KvCache;
}

/**
 * The converted OPT decoder behind the generation layer's `CausalLanguageModel` contract: prefill
 * over inputs_embeds, then one token per row with the KV cache; position ids derived from the mask
 * exactly as HF's OPTDecoder does.
 */
export class OptLanguageModel implements CausalLanguageModel {
  constructor(
    private readonly decoder: GraphSession,
    private readonly embedder: GraphSession,
    readonly shape: DecoderShape,
  ) {}

  get vocabSize(): number {
    return this.shape.vocabSize;
  }

  /** embed_tokens lookup: [rows][T] ids → [rows, T, hidden]. */
  async embedTokens(ids: readonly (readonly number[])[]): Promise<Tensor<'float32'>> {
    const out = await this.embedder.run({ input_ids: int64Tensor(ids) }, ['inputs_embeds']);
    return out.inputs_embeds as Tensor<'float32'>;
  }

  /** One decoder pass over `embeds` after the cached positions (none for a prefill). */
  async run(
    embeds: Tensor<'float32'>,
    attentionMask: readonly (readonly number[])[],
    cache?: KvCache,
  ): Promise<DecoderRun> {
    const [rows, seq] = embeds.dims as [number, number, number];
    const past = cache ? asOrtCache(cache) : this.emptyCache(rows);
    const positions = positionIdsFromMask(attentionMask).map((row) => row.slice(row.length - seq));
    const feeds: Record<string, Tensor> = {
      inputs_embeds: embeds,
      attention_mask: int64Tensor(attentionMask),
      position_ids: int64Tensor(positions),
    };
    past.layers.forEach(({ key, value }, i) => {
      feeds[`past_key_values.${i}.key`] = key;
      feeds[`past_key_values.${i}.value`] = value;
    });
    let out: Record<string, Tensor>;
    try {
      out = await this.decoder.run(feeds);
    } finally {
      // The generation contract: a step owns the cache it is given, also when it fails.
      past.dispose();
    }
    const layers = past.layers.map((_, i) => ({
      key: out[`present.${i}.key`] as Tensor<'float32'>,
      value: out[`present.${i}.value`] as Tensor<'float32'>,
    }));
    return {
      logits: out.logits as Tensor<'float32'>,
      cache: new OrtKvCache(layers, rows, past.length + seq),
    };
  }

  async prefill(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
  ): Promise<StepOutput> {
    const { logits, cache } = await this.run(floatTensor(inputsEmbeds, dims), attentionMask);
    return { logits: lastPositions(logits), cache };
  }

  async step(
    tokenIds: readonly number[],
    attentionMask: number[][],
    cache: KvCache,
  ): Promise<StepOutput> {
    let embeds: Tensor<'float32'>;
    try {
      embeds = await this.embedTokens(tokenIds.map((id) => [id]));
    } catch (error) {
      cache.dispose();
      throw error;
    }
    const { logits, cache: next } = await this.run(embeds, attentionMask, cache);
    embeds.dispose();
    return { logits: lastPositions(logits), cache: next };
  }

  selectRows(cache: KvCache, indices: readonly number[]): KvCache {
    const source = asOrtCache(cache);
    const layers = source.layers.map(({ key, value }) => ({
      key: gatherRows(key, indices),
      value: gatherRows(value, indices),
    }));
    return new OrtKvCache(layers, indices.length, source.length);
  }

  private emptyCache(rows: number): OrtKvCache {
    const { numLayers, numHeads, headDim } = this.shape;
    const empty = (): Tensor<'float32'> =>
      floatTensor(new Float32Array(0), [rows, numHeads, 0, headDim]);
    return new OrtKvCache(
      Array.from({ length: numLayers }, () => ({ key: empty(), value: empty() })),
      rows,
      0,
    );
  }
}

function asOrtCache(cache: KvCache): OrtKvCache {
  if (!(cache instanceof OrtKvCache)) throw new Error('KV cache does not belong to this model');
  return cache;
}

/** [rows, T, V] → [rows, V] of the last position; disposes the full logits. */
function lastPositions(logits: Tensor<'float32'>): Float32Array {
  const [rows, seq, vocab] = logits.dims as [number, number, number];
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++)
    out.set(logits.data.subarray((r * seq + seq - 1) * vocab, (r * seq + seq) * vocab), r * vocab);
  logits.dispose();
  return out;
}

function gatherRows(t: Tensor<'float32'>, indices: readonly number[]): Tensor<'float32'> {
  const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * rowSize);
  indices.forEach((src, i) =>
    out.set(t.data.subarray(src * rowSize, (src + 1) * rowSize), i * rowSize),
  );
  return floatTensor(out, [indices.length, ...t.dims.slice(1)]);
}
