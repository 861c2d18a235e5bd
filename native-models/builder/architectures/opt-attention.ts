import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import { makeDim, makeScaledDotProduct, mergeHeads, splitHeads } from '../ops.ts';

const FLOAT32_MIN = -3.4028234663852886e38;
const FLOAT16_MIN = -65504;

/**
 * The additive bias of a hidden key: finfo(dtype).min as HF uses. In an fp16 graph float32's
 * minimum would round to -inf, and a query row with every key hidden (a left pad) would turn NaN
 * and spread through the cache of the positions it feeds.
 */
function hiddenKeyBias(g: GraphBuilder): string {
  return g.constFloat([g.activationType === ElemType.FLOAT16 ? FLOAT16_MIN : FLOAT32_MIN]);
}

/**
 * How the decoder graph keeps its KV cache:
 * - `shared-buffer`: com.microsoft GroupQueryAttention with past and present sharing one
 *   preallocated buffer per layer [rows, heads, capacity, headDim]; each step writes only its new
 *   positions into it. onnxruntime's CPU kernel needs head sizes that are multiples of 8.
 * - `concat`: plain ONNX attention; each step returns the grown cache (Concat), after gathering
 *   the rows this step continues (`beam_idx`). Any head size.
 */
export type KvCacheLayout = 'shared-buffer' | 'concat';

export function kvCacheLayoutFor(headDim: number): KvCacheLayout {
  return headDim % 8 === 0 ? 'shared-buffer' : 'concat';
}

export interface AttentionShape {
  layers: number;
  heads: number;
  headDim: number;
}

/** Self-attention of one layer over [B, S, heads*headDim] q (already scaled), k, v → [B, S, D]. */
export type OptAttention = (
  layer: number,
  scope: string,
  q: string,
  k: string,
  v: string,
) => string;

/**
 * Declares the cache inputs and outputs of `layout` and returns the per-layer attention.
 * `embeds` [B, S, *] is the current input, `mask` [B, past + S] the 2-D attention mask.
 */
export function makeOptAttention(
  g: GraphBuilder,
  layout: KvCacheLayout,
  shape: AttentionShape,
  embeds: string,
  mask: string,
): OptAttention {
  return layout === 'shared-buffer'
    ? makeSharedBufferAttention(g, shape, embeds, mask)
    : makeConcatAttention(g, shape, embeds, mask);
}

function makeSharedBufferAttention(
  g: GraphBuilder,
  { layers, heads, headDim }: AttentionShape,
  embeds: string,
  mask: string,
): OptAttention {
  const cacheShape = ['batch', heads, 'max_sequence', headDim];
  const past = Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, ElemType.FLOAT, cacheShape),
    value: g.input(`past_key_values.${i}.value`, ElemType.FLOAT, cacheShape),
  }));
  const scope = '/decoder/attention_inputs';
  // Every row has the same length (left padding), so the last position is total - 1 for all.
  const total = makeDim(g, scope, mask, 1);
  const totalLength = g.op(
    'Cast',
    [g.op('Squeeze', [total], scope)],
    `${scope}/total_sequence_length`,
    { to: ElemType.INT32 },
  );
  const lastPosition = g.op('Sub', [total, g.constInt64([1])], scope);
  const seqlensK = g.op(
    'Cast',
    [g.op('Expand', [lastPosition, makeDim(g, scope, mask, 0)], scope)],
    `${scope}/seqlens_k`,
    { to: ElemType.INT32 },
  );
  // The kernel applies causality itself; padding is an additive bias [B, 1, S, total] that is 0
  // on visible keys and finfo(float32).min on pads, as in HF's 4-D mask.
  const visible = g.op(
    'Where',
    [g.op('Cast', [mask], scope, { to: ElemType.BOOL }), g.constFloat([0]), hiddenKeyBias(g)],
    scope,
  );
  const rowsShape = g.op(
    'Concat',
    [g.constInt64([1, 1]), makeDim(g, scope, embeds, 1), g.constInt64([1])],
    scope,
    { axis: 0 },
  );
  const bias = g.op(
    'Expand',
    [g.op('Unsqueeze', [visible, g.constInt64([1, 2])], scope), rowsShape],
    `${scope}/attention_bias`,
  );
  return (layer, layerScope, q, k, v) => {
    // In an fp16 graph the cache crosses the boundary as float32 (cast on the way in and out), so
    // the kernel's present is an fp16 value of its own that the boundary Cast writes into the
    // caller's buffer; in float32 graphs the kernel writes into that buffer directly.
    const castAtBoundary = g.activationType !== ElemType.FLOAT;
    const presentKey = castAtBoundary ? `${layerScope}/present_key` : `present.${layer}.key`;
    const presentValue = castAtBoundary ? `${layerScope}/present_value` : `present.${layer}.value`;
    const [context] = g.node(
      'GroupQueryAttention',
      [q, k, v, past[layer]!.key, past[layer]!.value, seqlensK, totalLength, '', '', '', bias],
      {
        name: `${layerScope}/GroupQueryAttention`,
        domain: 'com.microsoft',
        // q is already scaled by headDim^-0.5 (OPT scales q_proj's output): no second scale.
        attrs: { num_heads: heads, kv_num_heads: heads, scale: { float: 1 } },
        outputNames: [`${layerScope}/context`, presentKey, presentValue],
      },
    );
    if (castAtBoundary) {
      g.output(presentKey, `present.${layer}.key`, ElemType.FLOAT, cacheShape);
      g.output(presentValue, `present.${layer}.value`, ElemType.FLOAT, cacheShape);
    } else {
      g.outputAsProduced(presentKey, ElemType.FLOAT, cacheShape);
      g.outputAsProduced(presentValue, ElemType.FLOAT, cacheShape);
    }
    return context!;
  };
}

function makeConcatAttention(
  g: GraphBuilder,
  { layers, heads, headDim }: AttentionShape,
  embeds: string,
  mask: string,
): OptAttention {
  // Row i of this step continues cached row beam_idx[i]: beam reordering and expansion happen
  // in the gather that feeds the cache Concat, instead of as copies in JavaScript.
  const beamIdx = g.input('beam_idx', ElemType.INT64, ['batch']);
  const pastShape = ['past_batch', heads, 'past_sequence', headDim];
  const past = Array.from({ length: layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, ElemType.FLOAT, pastShape),
    value: g.input(`past_key_values.${i}.value`, ElemType.FLOAT, pastShape),
  }));
  const bias = makeCausalPaddingBias(g, embeds, mask);
  const D = heads * headDim;
  return (layer, s, q, k, v) => {
    const split = (scope: string, x: string): string => splitHeads(g, scope, x, heads, headDim);
    const pastKey = g.op('Gather', [past[layer]!.key, beamIdx], `${s}/past_key`, { axis: 0 });
    const pastValue = g.op('Gather', [past[layer]!.value, beamIdx], `${s}/past_value`, {
      axis: 0,
    });
    const keys = g.op('Concat', [pastKey, split(`${s}/k_proj`, k)], `${s}/present_key`, {
      axis: 2,
    });
    const values = g.op('Concat', [pastValue, split(`${s}/v_proj`, v)], `${s}/present_value`, {
      axis: 2,
    });
    const presentShape = ['batch', heads, 'total_sequence', headDim];
    g.output(keys, `present.${layer}.key`, ElemType.FLOAT, presentShape);
    g.output(values, `present.${layer}.value`, ElemType.FLOAT, presentShape);
    const context = makeScaledDotProduct(
      g,
      s,
      split(`${s}/q_proj`, q),
      keys,
      values,
      { kind: 'none' },
      bias,
    );
    return mergeHeads(g, s, context, D);
  };
}

/**
 * Additive attention bias [B, 1, T, S]: 0 where key j is visible to query i (j <= past + i and
 * mask[j] = 1), finfo(float32).min elsewhere — HF's _prepare_4d_causal_attention_mask.
 */
function makeCausalPaddingBias(g: GraphBuilder, embeds: string, mask: string): string {
  const scope = '/decoder/attention_bias';
  const total = g.op('Squeeze', [makeDim(g, scope, mask, 1)], scope);
  const current = g.op('Squeeze', [makeDim(g, scope, embeds, 1)], scope);
  const pastLength = g.op('Sub', [total, current], scope);
  const one = g.constInt64([1], []);
  const queryPositions = g.op('Range', [pastLength, total, one], `${scope}/query_positions`);
  const keyPositions = g.op('Range', [g.constInt64([0], []), total, one], `${scope}/key_positions`);
  const causal = g.op(
    'LessOrEqual',
    [
      g.op('Unsqueeze', [keyPositions, g.constInt64([0])], scope),
      g.op('Unsqueeze', [queryPositions, g.constInt64([1])], scope),
    ],
    scope,
  );
  const keyVisible = g.op(
    'Unsqueeze',
    [g.op('Cast', [mask], scope, { to: ElemType.BOOL }), g.constInt64([1, 2])],
    scope,
  );
  const allowed = g.op('And', [causal, keyVisible], scope);
  return g.op('Where', [allowed, g.constFloat([0]), hiddenKeyBias(g)], scope);
}
