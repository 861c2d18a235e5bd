/**
 * The contract between the generation algorithms (greedy, sampling, beam search) and a concrete
 * causal language model. It deliberately knows nothing about onnxruntime: the OPT decoder session
 * implements it elsewhere, and the tests implement it with a pure-TypeScript toy model.
 */

/** Opaque per-row KV cache owned by the model; rows = batch rows. */
export interface KvCache {
  readonly rows: number;
  readonly length: number;
  dispose(): void;
}

export interface StepOutput {
  /** [rows, vocabSize], logits of the last position only. */
  logits: Float32Array;
  cache: KvCache;
}

export type EmbeddingDims = readonly [rows: number, seq: number, hidden: number];

export interface CausalLanguageModel {
  readonly vocabSize: number;
  /**
   * First pass over the prompt: the embeddings `dims`, then `promptTokenIds` [rows][T] (none when
   * omitted), which the model embeds itself. attentionMask is [rows][seq + T] (0 = left pad).
   */
  prefill(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
    promptTokenIds?: readonly (readonly number[])[],
  ): Promise<StepOutput>;
  /**
   * One new token per row; attentionMask is the FULL mask [rows][past+1] incl. the new token.
   * The model derives position ids from the mask. Consumes `cache` (the caller must not reuse or
   * dispose it; it owns only the returned cache afterwards). The model disposes `cache` itself
   * when it no longer needs it, also when the call rejects.
   */
  step(tokenIds: readonly number[], attentionMask: number[][], cache: KvCache): Promise<StepOutput>;
  /** New cache whose row i is old row indices[i] (beam reordering/expansion). Does not dispose the old one. */
  selectRows(cache: KvCache, indices: readonly number[]): KvCache;
}
