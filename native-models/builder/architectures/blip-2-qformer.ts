import type { HfCheckpoint } from '../../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import {
  makeActivation,
  makeDim,
  makeLayerNorm,
  makeLinear,
  makeScaledDotProduct,
  mergeHeads,
  splitHeads,
} from '../ops.ts';
import type { QformerConfig } from './blip-2-config.ts';

export interface QformerGraphInputs {
  /** [B, T, D] input sequence: learned queries, optionally followed by text embeddings. */
  embeds: string;
  /** How many leading positions are query tokens (static: num_query_tokens or 0). */
  queryLength: number;
  /** Whether text positions follow the queries (ITM, ITC text side). */
  hasText: boolean;
  /** [B, T] float 0/1 padding mask; absent means all ones. */
  attentionMask?: string;
  /** [B, N, Dv] image embeddings for the cross-attention layers. */
  encoderHidden?: string;
}

/**
 * Blip2QFormerModel.forward: `qformer.layernorm` over the whole input, BERT post-LN layers whose
 * cross-attention (every `cross_attention_frequency` layers) and `*_query` FFN apply to the query
 * positions only, while text positions use the plain `intermediate`/`output` FFN.
 */
export function makeQformer(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: QformerConfig,
  inputs: QformerGraphInputs,
): string {
  const D = cfg.hiddenSize;
  const eps = cfg.layerNormEps;
  let x = makeLayerNorm(
    g,
    '/qformer/layernorm',
    inputs.embeds,
    ckpt.read('qformer.layernorm.weight', [D]),
    ckpt.read('qformer.layernorm.bias', [D]),
    eps,
  );
  const selfBias = inputs.attentionMask ? makeExtendedMask(g, inputs.attentionMask) : undefined;
  const Q = inputs.queryLength;

  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `qformer.encoder.layer.${i}`;
    const s = `/qformer/layer.${i}`;
    const attended = makeAttentionBlock(
      g,
      ckpt,
      cfg,
      `${p}.attention`,
      `${s}/attention`,
      x,
      x,
      D,
      selfBias,
    );
    const hasCross = i % cfg.crossAttentionFrequency === 0;
    if (Q === 0) {
      x = makeFeedForward(
        g,
        ckpt,
        cfg,
        `${p}.intermediate`,
        `${p}.output`,
        `${s}/text_ffn`,
        attended,
      );
      continue;
    }
    let queries = inputs.hasText ? sliceSequence(g, `${s}/queries`, attended, 0, Q) : attended;
    if (hasCross) {
      if (!inputs.encoderHidden)
        throw new Error(`Q-Former layer ${i} needs image embeddings for cross-attention`);
      queries = makeAttentionBlock(
        g,
        ckpt,
        cfg,
        `${p}.crossattention`,
        `${s}/crossattention`,
        queries,
        inputs.encoderHidden,
        cfg.encoderHiddenSize,
      );
    }
    let out = makeFeedForward(
      g,
      ckpt,
      cfg,
      `${p}.intermediate_query`,
      `${p}.output_query`,
      `${s}/query_ffn`,
      queries,
    );
    if (inputs.hasText) {
      const text = sliceSequence(g, `${s}/text`, attended, Q, Number.MAX_SAFE_INTEGER);
      const textOut = makeFeedForward(
        g,
        ckpt,
        cfg,
        `${p}.intermediate`,
        `${p}.output`,
        `${s}/text_ffn`,
        text,
      );
      out = g.op('Concat', [out, textOut], s, { axis: 1 });
    }
    x = out;
  }
  return x;
}

/** BERT self/cross attention + output dense + residual + LayerNorm (post-LN). */
function makeAttentionBlock(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: QformerConfig,
  prefix: string,
  scope: string,
  x: string,
  keyValue: string,
  keyValueWidth: number,
  bias?: string,
): string {
  const D = cfg.hiddenSize;
  const heads = cfg.numAttentionHeads;
  const headDim = D / heads;
  const a = `${prefix}.attention`;
  const q = makeLinear(
    g,
    `${scope}/query`,
    x,
    ckpt.read(`${a}.query.weight`, [D, D]),
    ckpt.read(`${a}.query.bias`, [D]),
  );
  const k = makeLinear(
    g,
    `${scope}/key`,
    keyValue,
    ckpt.read(`${a}.key.weight`, [D, keyValueWidth]),
    ckpt.read(`${a}.key.bias`, [D]),
  );
  const v = makeLinear(
    g,
    `${scope}/value`,
    keyValue,
    ckpt.read(`${a}.value.weight`, [D, keyValueWidth]),
    ckpt.read(`${a}.value.bias`, [D]),
  );
  const context = makeScaledDotProduct(
    g,
    scope,
    splitHeads(g, `${scope}/query`, q, heads, headDim),
    splitHeads(g, `${scope}/key`, k, heads, headDim),
    splitHeads(g, `${scope}/value`, v, heads, headDim),
    { kind: 'divide', divisor: Math.sqrt(headDim) },
    bias,
  );
  const dense = makeLinear(
    g,
    `${scope}/output/dense`,
    mergeHeads(g, scope, context, D),
    ckpt.read(`${prefix}.output.dense.weight`, [D, D]),
    ckpt.read(`${prefix}.output.dense.bias`, [D]),
  );
  const residual = g.op('Add', [dense, x], `${scope}/output`);
  return makeLayerNorm(
    g,
    `${scope}/output/LayerNorm`,
    residual,
    ckpt.read(`${prefix}.output.LayerNorm.weight`, [D]),
    ckpt.read(`${prefix}.output.LayerNorm.bias`, [D]),
    cfg.layerNormEps,
  );
}

function makeFeedForward(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: QformerConfig,
  intermediatePrefix: string,
  outputPrefix: string,
  scope: string,
  x: string,
): string {
  const D = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const hidden = makeLinear(
    g,
    `${scope}/intermediate`,
    x,
    ckpt.read(`${intermediatePrefix}.dense.weight`, [I, D]),
    ckpt.read(`${intermediatePrefix}.dense.bias`, [I]),
  );
  const act = makeActivation(g, `${scope}/act`, hidden, cfg.hiddenAct);
  const dense = makeLinear(
    g,
    `${scope}/output`,
    act,
    ckpt.read(`${outputPrefix}.dense.weight`, [D, I]),
    ckpt.read(`${outputPrefix}.dense.bias`, [D]),
  );
  const residual = g.op('Add', [dense, x], `${scope}/output`);
  return makeLayerNorm(
    g,
    `${scope}/output/LayerNorm`,
    residual,
    ckpt.read(`${outputPrefix}.LayerNorm.weight`, [D]),
    ckpt.read(`${outputPrefix}.LayerNorm.bias`, [D]),
    cfg.layerNormEps,
  );
}

function sliceSequence(
  g: GraphBuilder,
  scope: string,
  x: string,
  from: number,
  to: number,
): string {
  return g.op('Slice', [x, g.constInt64([from]), g.constInt64([to]), g.constInt64([1])], scope);
}

/** get_extended_attention_mask for a 2D mask: (1 - m) * -10000 as [B, 1, 1, T]. */
function makeExtendedMask(g: GraphBuilder, mask: string): string {
  const scope = '/qformer/extended_mask';
  const inverted = g.op('Sub', [g.constFloat([1]), mask], scope);
  const scaled = g.op('Mul', [inverted, g.constFloat([-10000])], scope);
  return g.op('Unsqueeze', [scaled, g.constInt64([1, 2])], scope);
}

/** `query_tokens` [1, Q, D] expanded over the batch of `like` (any [B, ...] tensor). */
export function makeQueryTokens(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: QformerConfig,
  numQueryTokens: number,
  like: string,
): string {
  const t = ckpt.read('query_tokens', [1, numQueryTokens, cfg.hiddenSize]);
  const batch = makeDim(g, '/qformer/query_tokens', like, 0);
  const shape = g.op(
    'Concat',
    [batch, g.constInt64([numQueryTokens, cfg.hiddenSize])],
    '/qformer/query_tokens',
    { axis: 0 },
  );
  return g.op('Expand', [g.weight(t.name, t.data, t.shape), shape], '/qformer/query_tokens');
}

/** Blip2TextEmbeddings: word + absolute position embeddings (positions 0..T-1), no LayerNorm. */
export function makeTextEmbeddings(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: QformerConfig,
  inputIds: string,
): string {
  const scope = '/qformer/text_embeddings';
  const D = cfg.hiddenSize;
  const words = ckpt.read('embeddings.word_embeddings.weight', [cfg.vocabSize, D]);
  const positions = ckpt.read('embeddings.position_embeddings.weight', [
    cfg.maxPositionEmbeddings,
    D,
  ]);
  // Some conversions persist BERT's `position_ids` buffer (0..max-1): it carries no weights.
  ckpt.markUsed('embeddings.position_ids');
  const wordEmb = g.op(
    'Gather',
    [g.weight(words.name, words.data, words.shape), inputIds],
    `${scope}/word`,
    { axis: 0 },
  );
  const length = makeDim(g, scope, inputIds, 1);
  const posRows = g.op(
    'Slice',
    [
      g.weight(positions.name, positions.data, positions.shape),
      g.constInt64([0]),
      length,
      g.constInt64([0]),
    ],
    `${scope}/position`,
  );
  return g.op('Add', [wordEmb, posRows], scope);
}
