import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SafetensorsWriter,
  encodeFloats,
} from '../../native-models/checkpoint/safetensors-writer.ts';
import { FIXTURE_DIR } from './golden.ts';

/**
 * Random BLIP-2 checkpoints in the Hugging Face layout with arbitrary dimensions, so tests can
 * prove that nothing in the converter or runtime depends on the tiny fixture's sizes.
 */

export type FloatDtype = 'F32' | 'F16' | 'BF16';
export type Blip2Architecture = 'Blip2ForConditionalGeneration' | 'Blip2ForImageTextRetrieval';

export interface VisionSpec {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  intermediateSize: number;
  imageSize: number;
  patchSize: number;
}

export interface QformerSpec {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  intermediateSize: number;
  crossAttentionFrequency: number;
  /** ITM only (the text path); the OPT checkpoint has no Q-Former word embeddings. Default 160. */
  vocabSize?: number;
  /** ITM only: rows of `embeddings.position_embeddings`. Default 64. */
  maxPositionEmbeddings?: number;
}

export interface OptSpec {
  hiddenSize: number;
  numHeads: number;
  numLayers: number;
  ffnDim: number;
  /** Must cover the copied OPT tokenizer (408 tokens). Default 420. */
  vocabSize?: number;
  /** Default 64 (the table stores 2 more rows). */
  maxPositionEmbeddings?: number;
  /** Default true (pre-LN, as in every OPT but 350m). */
  doLayerNormBefore?: boolean;
  /** Differs from hiddenSize → `project_in` / `project_out` exist (like opt-350m). */
  wordEmbedProjDim?: number;
  /** `text_config.eos_token_id` and generation_config.json's. Default 196 (the id of "\n"). */
  eosTokenId?: number;
}

export interface RandomBlip2Spec {
  architecture: Blip2Architecture;
  seed: number;
  vision: VisionSpec;
  qformer: QformerSpec;
  /** Required for Blip2ForConditionalGeneration. */
  text?: OptSpec;
  numQueryTokens: number;
  /** ITM: width of the ITC projections. Default 16. */
  imageTextHiddenSize?: number;
  /** Stored dtype of every tensor. Default F32. */
  dtype?: FloatDtype;
  /** Vision attention bias layout: current `qkv.bias` (default) or the older `q_bias` + `v_bias`. */
  qkvLayout?: 'qkv.bias' | 'q_bias+v_bias';
  /** Write `model-0000i-of-0000n.safetensors` + `model.safetensors.index.json` instead of one file. */
  shards?: number;
  /** config.json without `image_token_index` (older conversions: the runtime prepends the queries). */
  legacyNoImageToken?: boolean;
  /** Also store `language_model.lm_head.weight` (= embed_tokens, as tied). */
  lmHeadStored?: boolean;
  /** Standard deviation of plain weights. Default 0.05. */
  weightStd?: number;
}

export interface StoredTensor {
  shape: number[];
  /** The values exactly as stored (already rounded to the spec's dtype), as float32. */
  values: Float32Array;
}

export interface RandomCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  /** Every tensor of the checkpoint, in file order. */
  tensors: Map<string, StoredTensor>;
  /** Shard file names (one entry, `model.safetensors`, when unsharded). */
  weightFiles: string[];
}

/** The `<image>` token of the copied OPT tokenizer (test/fixtures/blip2-tiny/opt). */
export const OPT_IMAGE_TOKEN_ID = 407;
const OPT_TOKENIZER_SIZE = 408;
const ITM_TOKENIZER_SIZE = 155;

const OPT_COMPANIONS = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
];
const ITM_COMPANIONS = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
];

export function writeRandomBlip2Checkpoint(dir: string, spec: RandomBlip2Spec): RandomCheckpoint {
  const isOpt = spec.architecture === 'Blip2ForConditionalGeneration';
  if (isOpt && !spec.text) throw new Error('an OPT spec needs text dimensions');
  mkdirSync(dir, { recursive: true });
  const dtype = spec.dtype ?? 'F32';
  const tensors = generateTensors(spec);
  for (const t of tensors.values()) t.values = roundToDtype(t.values, dtype);
  const weightFiles = writeWeights(dir, tensors, dtype, spec.shards ?? 1);

  const config = buildConfig(spec);
  writeJson(join(dir, 'config.json'), config);
  const fixture = join(FIXTURE_DIR, isOpt ? 'opt' : 'itm');
  for (const file of isOpt ? OPT_COMPANIONS : ITM_COMPANIONS)
    copyFileSync(join(fixture, file), join(dir, file));
  const preprocessor = JSON.parse(
    readFileSync(join(fixture, 'preprocessor_config.json'), 'utf8'),
  ) as Record<string, unknown>;
  preprocessor.size = { height: spec.vision.imageSize, width: spec.vision.imageSize };
  writeJson(join(dir, 'preprocessor_config.json'), preprocessor);
  writeJson(join(dir, 'processor_config.json'), {
    num_query_tokens: spec.numQueryTokens,
    processor_class: 'Blip2Processor',
  });
  if (isOpt) {
    const text = config.text_config as Record<string, unknown>;
    writeJson(join(dir, 'generation_config.json'), {
      _from_model_config: true,
      bos_token_id: text.bos_token_id,
      eos_token_id: text.eos_token_id,
      pad_token_id: text.pad_token_id,
    });
  }
  return { dir, config, tensors, weightFiles };
}

// ---------------------------------------------------------------------------------------------
// Tensors (Hugging Face state-dict names of Blip2ForConditionalGeneration / …ForImageTextRetrieval)
// ---------------------------------------------------------------------------------------------

function generateTensors(spec: RandomBlip2Spec): Map<string, StoredTensor> {
  const random = new GaussianRandom(spec.seed);
  const std = spec.weightStd ?? 0.05;
  const out = new Map<string, StoredTensor>();
  const add = (name: string, shape: number[], values: Float32Array): void => {
    out.set(name, { shape, values });
  };
  const normal = (name: string, shape: number[], scale = std): void =>
    add(name, shape, random.normal(count(shape), scale));
  const linear = (name: string, outDim: number, inDim: number, bias = true): void => {
    // Scaled by the fan-in so every width gets O(1) activations; the gain of 2 lets each layer
    // change the residual stream enough that greedy tokens vary and argmax margins stay wide.
    normal(`${name}.weight`, [outDim, inDim], Math.max(std, 2 / Math.sqrt(inDim)));
    if (bias) normal(`${name}.bias`, [outDim]);
  };
  const layerNorm = (name: string, dim: number): void => {
    add(`${name}.weight`, [dim], random.normal(dim, 0.05, 1));
    normal(`${name}.bias`, [dim]);
  };

  // Vision tower (Blip2VisionModel).
  const v = spec.vision;
  const grid = v.imageSize / v.patchSize;
  if (!Number.isInteger(grid)) throw new Error('image size must be a multiple of the patch size');
  normal('vision_model.embeddings.class_embedding', [1, 1, v.hiddenSize], 0.5);
  normal(
    'vision_model.embeddings.patch_embedding.weight',
    [v.hiddenSize, 3, v.patchSize, v.patchSize],
    1 / Math.sqrt(3 * v.patchSize * v.patchSize),
  );
  normal('vision_model.embeddings.patch_embedding.bias', [v.hiddenSize]);
  normal('vision_model.embeddings.position_embedding', [1, grid * grid + 1, v.hiddenSize], 0.5);
  for (let i = 0; i < v.numLayers; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    layerNorm(`${p}.layer_norm1`, v.hiddenSize);
    normal(
      `${p}.self_attn.qkv.weight`,
      [3 * v.hiddenSize, v.hiddenSize],
      1 / Math.sqrt(v.hiddenSize),
    );
    const qBias = random.normal(v.hiddenSize, std);
    const vBias = random.normal(v.hiddenSize, std);
    if ((spec.qkvLayout ?? 'qkv.bias') === 'qkv.bias') {
      // cat(q_bias, zeros, v_bias): the key projection of EVA-ViT has no bias.
      const bias = new Float32Array(3 * v.hiddenSize);
      bias.set(qBias, 0);
      bias.set(vBias, 2 * v.hiddenSize);
      add(`${p}.self_attn.qkv.bias`, [3 * v.hiddenSize], bias);
    } else {
      add(`${p}.self_attn.q_bias`, [v.hiddenSize], qBias);
      add(`${p}.self_attn.v_bias`, [v.hiddenSize], vBias);
    }
    linear(`${p}.self_attn.projection`, v.hiddenSize, v.hiddenSize);
    layerNorm(`${p}.layer_norm2`, v.hiddenSize);
    linear(`${p}.mlp.fc1`, v.intermediateSize, v.hiddenSize);
    linear(`${p}.mlp.fc2`, v.hiddenSize, v.intermediateSize);
  }
  layerNorm('vision_model.post_layernorm', v.hiddenSize);

  // Q-Former (Blip2QFormerModel); the text FFN exists only with use_qformer_text_input (ITM).
  const q = spec.qformer;
  const isItm = spec.architecture === 'Blip2ForImageTextRetrieval';
  normal('query_tokens', [1, spec.numQueryTokens, q.hiddenSize], 0.5);
  layerNorm('qformer.layernorm', q.hiddenSize);
  for (let i = 0; i < q.numLayers; i++) {
    const p = `qformer.encoder.layer.${i}`;
    const attention = (prefix: string, keyWidth: number): void => {
      linear(`${prefix}.attention.query`, q.hiddenSize, q.hiddenSize);
      linear(`${prefix}.attention.key`, q.hiddenSize, keyWidth);
      linear(`${prefix}.attention.value`, q.hiddenSize, keyWidth);
      linear(`${prefix}.output.dense`, q.hiddenSize, q.hiddenSize);
      layerNorm(`${prefix}.output.LayerNorm`, q.hiddenSize);
    };
    attention(`${p}.attention`, q.hiddenSize);
    if (i % q.crossAttentionFrequency === 0) attention(`${p}.crossattention`, v.hiddenSize);
    const feedForward = (intermediate: string, output: string): void => {
      linear(`${intermediate}.dense`, q.intermediateSize, q.hiddenSize);
      linear(`${output}.dense`, q.hiddenSize, q.intermediateSize);
      layerNorm(`${output}.LayerNorm`, q.hiddenSize);
    };
    if (isItm) feedForward(`${p}.intermediate`, `${p}.output`);
    feedForward(`${p}.intermediate_query`, `${p}.output_query`);
  }

  if (isItm) {
    const e = spec.imageTextHiddenSize ?? 16;
    normal('embeddings.word_embeddings.weight', [q.vocabSize ?? 160, q.hiddenSize], 0.5);
    normal(
      'embeddings.position_embeddings.weight',
      [q.maxPositionEmbeddings ?? 64, q.hiddenSize],
      0.5,
    );
    linear('vision_projection', e, q.hiddenSize);
    linear('text_projection', e, q.hiddenSize);
    linear('itm_head', 2, q.hiddenSize);
    return out;
  }

  // OPT language model (OPTForCausalLM) behind language_projection.
  const t = spec.text!;
  const D = t.hiddenSize;
  const P = t.wordEmbedProjDim ?? D;
  const dp = 'language_model.model.decoder';
  linear('language_projection', P, q.hiddenSize);
  // Larger than plain weights: the logits are h @ embed_tokens.T, and wide argmax margins keep
  // greedy decoding robust to float32 summation-order noise.
  normal(`${dp}.embed_tokens.weight`, [t.vocabSize ?? 420, P], 0.5);
  normal(`${dp}.embed_positions.weight`, [(t.maxPositionEmbeddings ?? 64) + 2, D], 0.5);
  if (P !== D) {
    normal(`${dp}.project_in.weight`, [D, P], 1 / Math.sqrt(P));
    normal(`${dp}.project_out.weight`, [P, D], 1 / Math.sqrt(D));
  }
  for (let i = 0; i < t.numLayers; i++) {
    const p = `${dp}.layers.${i}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj'])
      linear(`${p}.self_attn.${proj}`, D, D);
    layerNorm(`${p}.self_attn_layer_norm`, D);
    linear(`${p}.fc1`, t.ffnDim, D);
    linear(`${p}.fc2`, D, t.ffnDim);
    layerNorm(`${p}.final_layer_norm`, D);
  }
  // OPTDecoder has a final LayerNorm only in the pre-LN variant.
  if (t.doLayerNormBefore ?? true) layerNorm(`${dp}.final_layer_norm`, D);
  if (spec.lmHeadStored) {
    const embed = out.get(`${dp}.embed_tokens.weight`)!;
    add('language_model.lm_head.weight', [...embed.shape], embed.values.slice());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// config.json
// ---------------------------------------------------------------------------------------------

function buildConfig(spec: RandomBlip2Spec): Record<string, unknown> {
  const isItm = spec.architecture === 'Blip2ForImageTextRetrieval';
  const v = spec.vision;
  const q = spec.qformer;
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[spec.dtype ?? 'F32'];
  const text = spec.text;
  if (text && (text.vocabSize ?? 420) < OPT_TOKENIZER_SIZE)
    throw new Error(`OPT vocab must cover the ${OPT_TOKENIZER_SIZE}-token tokenizer`);
  if (isItm && (q.vocabSize ?? 160) < ITM_TOKENIZER_SIZE)
    throw new Error(`Q-Former vocab must cover the ${ITM_TOKENIZER_SIZE}-token tokenizer`);
  const config: Record<string, unknown> = {
    architectures: [spec.architecture],
    image_text_hidden_size: spec.imageTextHiddenSize ?? 16,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    model_type: 'blip-2',
    num_query_tokens: spec.numQueryTokens,
    qformer_config: {
      attention_probs_dropout_prob: 0.1,
      cross_attention_frequency: q.crossAttentionFrequency,
      encoder_hidden_size: v.hiddenSize,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      hidden_size: q.hiddenSize,
      intermediate_size: q.intermediateSize,
      layer_norm_eps: 1e-12,
      max_position_embeddings: q.maxPositionEmbeddings ?? 64,
      model_type: 'blip_2_qformer',
      num_attention_heads: q.numHeads,
      num_hidden_layers: q.numLayers,
      pad_token_id: 0,
      position_embedding_type: 'absolute',
      use_qformer_text_input: isItm,
      vocab_size: isItm ? (q.vocabSize ?? 160) : 30522,
    },
    text_config: text ? optTextConfig(text, torchDtype) : defaultOptTextConfig(),
    torch_dtype: torchDtype,
    use_decoder_only_language_model: true,
    vision_config: {
      attention_dropout: 0.0,
      hidden_act: 'gelu',
      hidden_size: v.hiddenSize,
      image_size: v.imageSize,
      intermediate_size: v.intermediateSize,
      layer_norm_eps: 1e-6,
      model_type: 'blip_2_vision_model',
      num_attention_heads: v.numHeads,
      num_hidden_layers: v.numLayers,
      patch_size: v.patchSize,
      qkv_bias: true,
    },
  };
  if (!isItm && !spec.legacyNoImageToken) config.image_token_index = OPT_IMAGE_TOKEN_ID;
  return config;
}

function optTextConfig(t: OptSpec, torchDtype: string): Record<string, unknown> {
  return {
    _remove_final_layer_norm: false,
    activation_function: 'relu',
    architectures: ['OPTForCausalLM'],
    bos_token_id: 2,
    do_layer_norm_before: t.doLayerNormBefore ?? true,
    enable_bias: true,
    eos_token_id: t.eosTokenId ?? 196,
    ffn_dim: t.ffnDim,
    hidden_size: t.hiddenSize,
    layer_norm_elementwise_affine: true,
    max_position_embeddings: t.maxPositionEmbeddings ?? 64,
    model_type: 'opt',
    num_attention_heads: t.numHeads,
    num_hidden_layers: t.numLayers,
    pad_token_id: 1,
    prefix: '</s>',
    tie_word_embeddings: true,
    torch_dtype: torchDtype,
    vocab_size: t.vocabSize ?? 420,
    word_embed_proj_dim: t.wordEmbedProjDim ?? t.hiddenSize,
  };
}

/** The unused OPT text_config every serialised Blip2Config carries (ITM checkpoints). */
function defaultOptTextConfig(): Record<string, unknown> {
  return {
    activation_function: 'relu',
    bos_token_id: 2,
    do_layer_norm_before: true,
    eos_token_id: 2,
    ffn_dim: 3072,
    hidden_size: 768,
    max_position_embeddings: 2048,
    model_type: 'opt',
    num_attention_heads: 12,
    num_hidden_layers: 12,
    pad_token_id: 1,
    vocab_size: 50272,
    word_embed_proj_dim: 768,
  };
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

function writeWeights(
  dir: string,
  tensors: Map<string, StoredTensor>,
  dtype: FloatDtype,
  shards: number,
): string[] {
  const entries = [...tensors.entries()];
  if (shards <= 1) {
    writeShard(join(dir, 'model.safetensors'), entries, dtype);
    return ['model.safetensors'];
  }
  const perShard = Math.ceil(entries.length / shards);
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (let s = 0; s < shards; s++) {
    const file = `model-${pad5(s + 1)}-of-${pad5(shards)}.safetensors`;
    const part = entries.slice(s * perShard, (s + 1) * perShard);
    writeShard(join(dir, file), part, dtype);
    for (const [name, t] of part) {
      weightMap[name] = file;
      totalSize += encodeFloats(t.values, dtype).byteLength;
    }
    files.push(file);
  }
  writeJson(join(dir, 'model.safetensors.index.json'), {
    metadata: { total_size: totalSize },
    weight_map: weightMap,
  });
  return files;
}

function writeShard(path: string, entries: [string, StoredTensor][], dtype: FloatDtype): void {
  const writer = new SafetensorsWriter(
    path,
    entries.map(([name, t]) => ({ name, dtype, shape: t.shape })),
  );
  for (const [, t] of entries) writer.write(encodeFloats(t.values, dtype));
  writer.close();
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/**
 * Rounds to the nearest value the dtype can hold (computed arithmetically, independently of the
 * writer's bit tricks), so what the writer stores is exactly `values` and a reader must return
 * them bit for bit.
 */
export function roundToDtype(values: Float32Array, dtype: FloatDtype): Float32Array {
  if (dtype === 'F32') return values;
  // Significand bits (incl. the implicit one) and the smallest exponent of a normal number.
  const [bits, minExponent] = dtype === 'F16' ? [11, -14] : [8, -126];
  return values.map((x) => {
    if (x === 0 || !Number.isFinite(x)) return x;
    const exponent = Math.max(Math.floor(Math.log2(Math.abs(x))), minExponent);
    const ulp = 2 ** (exponent - bits + 1);
    return Math.round(x / ulp) * ulp;
  });
}

/** mulberry32 uniforms → Box–Muller normals: reproducible across platforms and Node versions. */
export class GaussianRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  normal(length: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const u = 1 - this.uniform(); // (0, 1]: log stays finite
      out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
    }
    return out;
  }
}
