import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { floatTensor, int64Tensor, type Tensor } from '../../src-main/engine/runtime/tensor.ts';
import type { FloatArray } from './tensor-bundle.ts';

/**
 * The one place that knows the OPT decoder graph's interface. The bench describes each decoder
 * call in a graph-neutral form (the bundle both PyTorch sides read, see hf_stage.py); these two
 * functions translate it to the graph's feeds and its outputs back, for both interfaces of the
 * decoder graph: embeddings only (`inputs_embeds`), or a prefix of embeddings plus `input_ids`
 * (and `beam_idx`) with last-position logits. Another interface change touches this file only.
 */
export interface DecoderCall {
  /** [rows, Q, D] projected query tokens in front of the ids (prefill only). */
  prefixEmbeds?: Tensor<'float32'>;
  /** [rows, n] token ids after the prefix. */
  inputIds: Tensor<'int64'>;
  /** [rows, past + Q + n] all ones: no padding in these calls. */
  attentionMask: Tensor<'int64'>;
  /** Per layer [rows, heads, past, headDim] (decode steps only). */
  past?: { key: Tensor<'float32'>; value: Tensor<'float32'> }[];
}

/** Rows of the token-embedding matrix, for the graph that takes embeddings rather than ids. */
export type EmbeddingRows = (ids: readonly number[]) => Float32Array;

export function decoderFeeds(
  call: DecoderCall,
  config: Blip2Config,
  embeddingRows: EmbeddingRows,
  graphInputs: readonly string[],
): Record<string, Tensor> {
  const [rows, n] = call.inputIds.dims as [number, number];
  const D = config.text.wordEmbedProjDim;
  const prefix = call.prefixEmbeds?.dims[1] ?? 0;
  const current = prefix + n;
  const total = call.attentionMask.dims[1]!;
  // No padding: position_ids = cumsum(mask) - 1 over the current positions.
  const positions = Array.from({ length: current }, (_, i) => total - current + i);
  const feeds: Record<string, Tensor> = {
    attention_mask: call.attentionMask,
    position_ids: int64Tensor(Array.from({ length: rows }, () => positions)),
  };
  if (graphInputs.includes('input_ids')) {
    // The graph embeds its own ids: the prefix alone travels as embeddings; every row continues
    // its own cached row (beam_idx = identity).
    feeds.inputs_embeds = call.prefixEmbeds ?? floatTensor(new Float32Array(0), [rows, 0, D]);
    feeds.input_ids = call.inputIds;
    if (graphInputs.includes('beam_idx'))
      feeds.beam_idx = int64Tensor(Array.from({ length: rows }, (_, r) => r));
  } else {
    feeds.inputs_embeds = floatTensor(embedAll(call, rows, n, D, embeddingRows), [
      rows,
      current,
      D,
    ]);
  }
  const heads = config.text.numAttentionHeads;
  const empty = [rows, heads, 0, config.text.hiddenSize / heads];
  for (let i = 0; i < config.text.numHiddenLayers; i++) {
    const layer = call.past?.[i];
    feeds[`past_key_values.${i}.key`] = layer?.key ?? floatTensor(new Float32Array(0), empty);
    feeds[`past_key_values.${i}.value`] = layer?.value ?? floatTensor(new Float32Array(0), empty);
  }
  return feeds;
}

/** Prefix, then the ids' embedding rows, row by row (for a graph that takes embeddings only). */
function embedAll(
  call: DecoderCall,
  rows: number,
  n: number,
  D: number,
  embeddingRows: EmbeddingRows,
): Float32Array {
  const prefix = call.prefixEmbeds?.dims[1] ?? 0;
  const current = prefix + n;
  const embeds = new Float32Array(rows * current * D);
  const ids = Array.from(call.inputIds.data, Number);
  for (let r = 0; r < rows; r++) {
    const at = r * current * D;
    if (call.prefixEmbeds)
      embeds.set(call.prefixEmbeds.data.subarray(r * prefix * D, (r + 1) * prefix * D), at);
    embeds.set(embeddingRows(ids.slice(r * n, (r + 1) * n)), at + prefix * D);
  }
  return embeds;
}

/** The graph's logits for the last position of every row: [rows, vocab]. */
export function decoderLastLogits(outputs: Readonly<Record<string, Tensor>>): FloatArray {
  const logits = outputs.logits;
  if (logits?.type !== 'float32') throw new Error('the decoder graph returned no float32 logits');
  const all = logits.data as Float32Array;
  // A graph that computes lm_head on the last position only may return [rows, vocab].
  if (logits.dims.length === 2) return { dims: [...logits.dims], data: all.slice() };
  const [rows, positions, vocab] = logits.dims as [number, number, number];
  const data = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++)
    data.set(
      all.subarray((r * positions + positions - 1) * vocab, (r * positions + positions) * vocab),
      r * vocab,
    );
  return { dims: [rows, vocab], data };
}
