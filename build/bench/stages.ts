import { join } from 'node:path';
import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { buildQformerProjectionGraph } from '../../native-models/builder/architectures/blip-2.ts';
import { buildVisionGraph } from '../../native-models/builder/architectures/blip-2-vision.ts';
import { buildOptDecoderGraph } from '../../native-models/builder/architectures/opt.ts';
import type { HfCheckpoint } from '../../native-models/checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../native-models/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, Tensor } from '../../src-main/engine/runtime/tensor.ts';
import type { CheckpointPart } from './checkpoint-tensors.ts';
import { decoderFeeds, decoderLastLogits, type DecoderCall } from './decoder-adapter.ts';
import { readEmbeddingRows, seededNormals } from './inputs.ts';
import type { FloatArray } from './tensor-bundle.ts';

/** Outputs one stage hands to the next (from our first precision), so inputs look like a pipeline's. */
export interface Carry {
  imageEmbeds?: FloatArray;
  languageInputs?: FloatArray;
}

export interface StepContext {
  config: Blip2Config;
  /** The stage's checkpoint folder (config.json + model.safetensors). */
  dir: string;
  carry: Carry;
}

/**
 * One timed call. `inputs` is graph-neutral (the bundle both PyTorch sides read); `feeds` and
 * `output` translate it to and from our graph.
 */
export interface BenchStep {
  label: string;
  /** Batch rows of the call (images, or sequences for the decoder). */
  rows: number;
  /** Decode steps read every weight once: compared with weight bytes ÷ bandwidth. */
  weightBound: boolean;
  inputs: (ctx: StepContext) => Record<string, Tensor>;
  /** Our graph's feeds; `graphInputs` are the input names of the graph they are for. */
  feeds: (
    inputs: Record<string, Tensor>,
    ctx: StepContext,
    graphInputs: readonly string[],
  ) => Record<string, Tensor>;
  /** Name of the compared output in the PyTorch bundles. */
  compare: string;
  output: (outputs: Readonly<Record<string, Tensor>>) => FloatArray;
  /** Stores the output the next stage needs. */
  export?: (output: FloatArray, carry: Carry) => void;
}

export interface BenchStage {
  name: 'vision' | 'qformer' | 'decoder';
  part: CheckpointPart;
  build: (g: GraphBuilder, ckpt: HfCheckpoint, config: Blip2Config) => void;
  steps: (config: Blip2Config) => BenchStep[];
}

/** "Question: what is this? Answer:" in the OPT vocabulary, after BOS (</s> = 2). */
const PROMPT_IDS = [2, 45641, 35, 99, 16, 42, 116, 31652, 35];
const EMBED_TOKENS = 'language_model.model.decoder.embed_tokens.weight';
/** Indexing embeds photos in batches of this many. */
export const PHOTO_BATCH = 8;
/** Default caption beams: decode steps run PHOTO_BATCH × BEAMS rows. */
export const BEAMS = 3;
/** Tokens generated before the timed decode step: a caption's middle. */
const GENERATED = 10;

const passThrough = (inputs: Record<string, Tensor>): Record<string, Tensor> => inputs;

function floatOutput(outputs: Readonly<Record<string, Tensor>>, name: string): FloatArray {
  const t = outputs[name];
  if (t?.type !== 'float32') throw new Error(`onnxruntime returned no float32 ${name}`);
  return { dims: [...t.dims], data: t.data as Float32Array };
}

function visionStep(rows: number): BenchStep {
  return {
    label: `vision B=${rows}`,
    rows,
    weightBound: false,
    inputs: ({ config }) => {
      const size = config.vision.imageSize;
      // Normalised pixels lie within about ±2: N(0, 1) is a fair stand-in for a photo.
      const pixels = seededNormals(rows * 3 * size * size, 1);
      return { pixel_values: floatTensor(pixels, [rows, 3, size, size]) };
    },
    feeds: passThrough,
    compare: 'image_embeds',
    output: (outputs) => floatOutput(outputs, 'image_embeds'),
    ...(rows === PHOTO_BATCH
      ? { export: (out: FloatArray, carry: Carry) => (carry.imageEmbeds = out) }
      : {}),
  };
}

const vision: BenchStage = {
  name: 'vision',
  part: 'vision',
  build: (g, ckpt, config) => buildVisionGraph(g, ckpt, config.vision),
  steps: () => [visionStep(1), visionStep(PHOTO_BATCH)],
};

/** The `qformer` graph of blip-2.ts: query tokens, Q-Former, language_projection. */
const qformer: BenchStage = {
  name: 'qformer',
  part: 'qformer',
  build: buildQformerProjectionGraph,
  steps: () => [
    {
      label: `qformer B=${PHOTO_BATCH}`,
      rows: PHOTO_BATCH,
      weightBound: false,
      inputs: ({ config, carry }) => {
        const tokens = (config.vision.imageSize / config.vision.patchSize) ** 2 + 1;
        const dims = [PHOTO_BATCH, tokens, config.vision.hiddenSize];
        const data =
          carry.imageEmbeds?.data ??
          seededNormals(
            dims.reduce((a, b) => a * b, 1),
            2,
          );
        return { image_embeds: floatTensor(data, dims) };
      },
      feeds: passThrough,
      compare: 'language_inputs',
      output: (outputs) => floatOutput(outputs, 'language_inputs'),
      export: (out, carry) => (carry.languageInputs = out),
    },
  ],
};

const promptLength = (config: Blip2Config): number => config.numQueryTokens + PROMPT_IDS.length;

/** The neutral decoder bundle (see hf_stage.py) of a DecoderCall. */
function callInputs(call: DecoderCall): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {
    input_ids: call.inputIds,
    attention_mask: call.attentionMask,
  };
  if (call.prefixEmbeds) inputs.prefix_embeds = call.prefixEmbeds;
  call.past?.forEach((layer, i) => {
    inputs[`past.${i}.key`] = layer.key;
    inputs[`past.${i}.value`] = layer.value;
  });
  return inputs;
}

function inputsCall(inputs: Record<string, Tensor>): DecoderCall {
  const past: NonNullable<DecoderCall['past']> = [];
  for (let i = 0; inputs[`past.${i}.key`]; i++)
    past.push({
      key: inputs[`past.${i}.key`] as Tensor<'float32'>,
      value: inputs[`past.${i}.value`] as Tensor<'float32'>,
    });
  return {
    inputIds: inputs.input_ids as Tensor<'int64'>,
    attentionMask: inputs.attention_mask as Tensor<'int64'>,
    ...(inputs.prefix_embeds ? { prefixEmbeds: inputs.prefix_embeds as Tensor<'float32'> } : {}),
    ...(past.length > 0 ? { past } : {}),
  };
}

const ones = (rows: number, cols: number): Tensor<'int64'> =>
  new Tensor('int64', new BigInt64Array(rows * cols).fill(1n), [rows, cols]);

function decoderStep(
  label: string,
  rows: number,
  call: (config: Blip2Config, carry: Carry) => DecoderCall,
  weightBound: boolean,
): BenchStep {
  return {
    label,
    rows,
    weightBound,
    inputs: ({ config, carry }) => callInputs(call(config, carry)),
    feeds: (inputs, { config, dir }, graphInputs) =>
      decoderFeeds(
        inputsCall(inputs),
        config,
        (ids) => readEmbeddingRows(join(dir, 'model.safetensors'), EMBED_TOKENS, ids),
        graphInputs,
      ),
    compare: 'last_logits',
    output: decoderLastLogits,
  };
}

/** Prefill of one photo batch: projected queries + the prompt, every row the same prompt. */
function prefillCall(config: Blip2Config, carry: Carry): DecoderCall {
  const Q = config.numQueryTokens;
  const D = config.text.wordEmbedProjDim;
  const ids = PROMPT_IDS.map((id) => id % config.text.vocabSize);
  const prefix = carry.languageInputs?.data ?? seededNormals(PHOTO_BATCH * Q * D, 3);
  return {
    prefixEmbeds: floatTensor(prefix, [PHOTO_BATCH, Q, D]),
    inputIds: int64Tensor(Array.from({ length: PHOTO_BATCH }, () => ids)),
    attentionMask: ones(PHOTO_BATCH, Q + ids.length),
  };
}

/**
 * One beam-search step `GENERATED` tokens into a caption. The cache holds seeded normals (the
 * same tensors for every layer: only its size matters for the timing, and every side reads the
 * same values, so the outputs still compare).
 */
function decodeCall(rows: number): (config: Blip2Config) => DecoderCall {
  return (config) => {
    const past = promptLength(config) + GENERATED;
    const heads = config.text.numAttentionHeads;
    const dims = [rows, heads, past, config.text.hiddenSize / heads];
    const size = dims.reduce((a, b) => a * b, 1);
    const key = floatTensor(seededNormals(size, 5), dims);
    const value = floatTensor(seededNormals(size, 6), dims);
    const ids = Array.from({ length: rows }, (_, r) => [(1000 + 37 * r) % config.text.vocabSize]);
    return {
      inputIds: int64Tensor(ids),
      attentionMask: ones(rows, past + 1),
      past: Array.from({ length: config.text.numHiddenLayers }, () => ({ key, value })),
    };
  };
}

const decoder: BenchStage = {
  name: 'decoder',
  part: 'language',
  build: (g, ckpt, config) => buildOptDecoderGraph(g, ckpt, config.text, 'language_model'),
  steps: (config) => {
    const past = promptLength(config) + GENERATED;
    return [
      decoderStep(
        `prefill rows=${PHOTO_BATCH} T=${promptLength(config)}`,
        PHOTO_BATCH,
        prefillCall,
        false,
      ),
      decoderStep(`decode rows=1 past=${past}`, 1, decodeCall(1), true),
      decoderStep(
        `decode rows=${PHOTO_BATCH * BEAMS} past=${past}`,
        PHOTO_BATCH * BEAMS,
        decodeCall(PHOTO_BATCH * BEAMS),
        true,
      ),
    ];
  },
};

export const STAGES: readonly BenchStage[] = [vision, qformer, decoder];
