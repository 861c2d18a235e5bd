import type { FloatTensor, HfCheckpoint } from '../../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import { makeActivation, makeLayerNorm, makeLinear } from '../ops.ts';
import { makeEmbeddingTable, type EmbeddingTable } from '../tables.ts';
import type { OptConfig } from './blip-2-config.ts';
import { kvCacheLayoutFor, makeOptAttention } from './opt-attention.ts';

/** HF OPTLearnedPositionalEmbedding reads row position_id + 2. */
const POSITION_OFFSET = 2;

export function optTensorPrefix(prefix: string): string {
  return `${prefix}.model.decoder`;
}

/**
 * OPTForCausalLM with a KV cache: one graph serves prefill (past length 0) and decode steps. The
 * sequence is `inputs_embeds` (the projected image queries at prefill, none at decode steps)
 * followed by the embedded `input_ids`; one token-embedding table serves that lookup and the tied
 * lm_head, which runs on the last position only (`logits` [B, vocab]: all generation reads).
 * Position ids come from the caller (cumsum(mask) * mask - 1, as HF's OPTDecoder derives them);
 * the causal + padding mask is built in the graph from the 2D mask. The KV cache layout depends
 * on the head size (`kvCacheLayoutFor`).
 */
export function buildOptDecoderGraph(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: OptConfig,
  prefix: string,
): void {
  const dp = optTensorPrefix(prefix);
  const D = cfg.hiddenSize;
  const heads = cfg.numAttentionHeads;
  const headDim = D / heads;
  if (!Number.isInteger(headDim))
    throw new Error('text_config: hidden_size is not divisible by num_attention_heads');
  const prefixEmbeds = g.input('inputs_embeds', ElemType.FLOAT, [
    'batch',
    'prefix_sequence',
    cfg.wordEmbedProjDim,
  ]);
  const ids = g.input('input_ids', ElemType.INT64, ['batch', 'token_sequence']);
  const mask = g.input('attention_mask', ElemType.INT64, ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', ElemType.INT64, ['batch', 'sequence']);
  const tokenTable = makeEmbeddingTable(
    g,
    ckpt.read(`${dp}.embed_tokens.weight`, [cfg.vocabSize, cfg.wordEmbedProjDim]),
  );
  const embedsIn = g.op(
    'Concat',
    [prefixEmbeds, tokenTable.gather('/decoder/embed_tokens', ids)],
    '/decoder/inputs_embeds',
    { axis: 1 },
  );
  let x = embedsIn;
  if (ckpt.has(`${dp}.project_in.weight`)) {
    x = makeLinear(
      g,
      '/decoder/project_in',
      x,
      ckpt.read(`${dp}.project_in.weight`, [D, cfg.wordEmbedProjDim]),
    );
  }
  const positions = ckpt.read(`${dp}.embed_positions.weight`, [
    cfg.maxPositionEmbeddings + POSITION_OFFSET,
    D,
  ]);
  const rows = g.op(
    'Add',
    [positionIds, g.constInt64([POSITION_OFFSET], [])],
    '/decoder/embed_positions',
  );
  const positionEmbeds = g.op(
    'Gather',
    [g.weight(positions.name, positions.data, positions.shape), rows],
    '/decoder/embed_positions',
    { axis: 0 },
  );
  x = g.op('Add', [x, positionEmbeds], '/decoder/embed_positions');
  const attention = makeOptAttention(
    g,
    kvCacheLayoutFor(headDim),
    { layers: cfg.numHiddenLayers, heads, headDim },
    embedsIn,
    mask,
  );

  const layerNorm = (scope: string, name: string, input: string): string => {
    const [w, b] = layerNormParams(ckpt, cfg, name, D);
    return makeLayerNorm(g, scope, input, w, b, 1e-5);
  };
  const linear = (scope: string, name: string, input: string, out: number, inp: number): string =>
    makeLinear(
      g,
      scope,
      input,
      ckpt.read(`${name}.weight`, [out, inp]),
      cfg.enableBias ? ckpt.read(`${name}.bias`, [out]) : undefined,
    );

  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `${dp}.layers.${i}`;
    const s = `/decoder/layers.${i}`;
    let residual = x;
    let h = cfg.doLayerNormBefore
      ? layerNorm(`${s}/self_attn_layer_norm`, `${p}.self_attn_layer_norm`, x)
      : x;
    const qProj = linear(`${s}/attn/q_proj`, `${p}.self_attn.q_proj`, h, D, D);
    const q = g.op('Mul', [qProj, g.constFloat([headDim ** -0.5])], `${s}/attn/q_scale`);
    const k = linear(`${s}/attn/k_proj`, `${p}.self_attn.k_proj`, h, D, D);
    const v = linear(`${s}/attn/v_proj`, `${p}.self_attn.v_proj`, h, D, D);
    const attnOut = linear(
      `${s}/attn/out_proj`,
      `${p}.self_attn.out_proj`,
      attention(i, `${s}/attn`, q, k, v),
      D,
      D,
    );
    x = g.op('Add', [residual, attnOut], `${s}/attn_residual`);
    if (!cfg.doLayerNormBefore)
      x = layerNorm(`${s}/self_attn_layer_norm`, `${p}.self_attn_layer_norm`, x);

    residual = x;
    h = cfg.doLayerNormBefore ? layerNorm(`${s}/final_layer_norm`, `${p}.final_layer_norm`, x) : x;
    const fc1 = linear(`${s}/fc1`, `${p}.fc1`, h, cfg.ffnDim, D);
    const fc2 = linear(
      `${s}/fc2`,
      `${p}.fc2`,
      makeActivation(g, `${s}/act`, fc1, cfg.activationFunction),
      D,
      cfg.ffnDim,
    );
    x = g.op('Add', [residual, fc2], `${s}/mlp_residual`);
    if (!cfg.doLayerNormBefore) x = layerNorm(`${s}/final_layer_norm`, `${p}.final_layer_norm`, x);
  }
  // Generation reads the last position only; the final norm, project_out and lm_head are
  // per-position, so they run on that one row: [B, S, D] → [B, D].
  x = g.op('Gather', [x, g.constInt64([-1], [])], '/decoder/last_position', { axis: 1 });
  if (cfg.doLayerNormBefore && !cfg.removeFinalLayerNorm)
    x = layerNorm('/decoder/final_layer_norm', `${dp}.final_layer_norm`, x);
  if (ckpt.has(`${dp}.project_out.weight`)) {
    x = makeLinear(
      g,
      '/decoder/project_out',
      x,
      ckpt.read(`${dp}.project_out.weight`, [cfg.wordEmbedProjDim, D]),
    );
  }
  const logits = lmHeadTable(g, ckpt, cfg, prefix, tokenTable).project('/lm_head', x);
  g.output(logits, 'logits', ElemType.FLOAT, ['batch', cfg.vocabSize]);
}

/**
 * lm_head is tied to embed_tokens (checkpoints written by save_pretrained store only the latter):
 * the token table serves it. A stored `lm_head.weight` that differs gets its own table.
 */
function lmHeadTable(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  cfg: OptConfig,
  prefix: string,
  tokenTable: EmbeddingTable,
): EmbeddingTable {
  const name = `${prefix}.lm_head.weight`;
  if (!ckpt.has(name)) return tokenTable;
  const shape = [cfg.vocabSize, cfg.wordEmbedProjDim];
  const head = ckpt.read(name, shape);
  const tokens = ckpt.read(`${optTensorPrefix(prefix)}.embed_tokens.weight`, shape);
  if (sameValues(head.data, tokens.data)) return tokenTable;
  return makeEmbeddingTable(g, head);
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function layerNormParams(
  ckpt: HfCheckpoint,
  cfg: OptConfig,
  name: string,
  D: number,
): [FloatTensor, FloatTensor] {
  if (cfg.layerNormElementwiseAffine)
    return [ckpt.read(`${name}.weight`, [D]), ckpt.read(`${name}.bias`, [D])];
  const ones: FloatTensor = {
    name: `${name}.weight`,
    shape: [D],
    data: new Float32Array(D).fill(1),
    storedDtype: 'F32',
  };
  const zeros: FloatTensor = {
    name: `${name}.bias`,
    shape: [D],
    data: new Float32Array(D),
    storedDtype: 'F32',
  };
  return [ones, zeros];
}
