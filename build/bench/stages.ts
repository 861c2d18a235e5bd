import { join } from 'node:path';
import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { buildQformerProjectionGraph } from '../../native-models/builder/architectures/blip-2.ts';
import { buildVisionGraph } from '../../native-models/builder/architectures/blip-2-vision.ts';
import { buildOptDecoderGraph } from '../../native-models/builder/architectures/opt.ts';
import type { HfCheckpoint } from '../../native-models/checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../native-models/onnx/graph-builder.ts';
import { floatTensor, int64Tensor, type Tensor } from '../../src-main/engine/runtime/tensor.ts';
import type { CheckpointPart } from './checkpoint-tensors.ts';
import { argmaxOfLastRow, readEmbeddingRows, seededNormals } from './inputs.ts';

/** Outputs one stage hands to the next, so the bench runs a realistic pipeline. */
export interface Carry {
  imageEmbeds?: Tensor<'float32'>;
  languageInputs?: Tensor<'float32'>;
}

export interface StepContext {
  config: Blip2Config;
  /** The stage's checkpoint folder (config.json + model.safetensors). */
  dir: string;
  carry: Carry;
  /** onnxruntime outputs of the previous step of the same stage (prefill → decode). */
  previous: Readonly<Record<string, Tensor>> | undefined;
}

export interface BenchStep {
  /** Table label. */
  label: (config: Blip2Config) => string;
  feeds: (ctx: StepContext) => Record<string, Tensor>;
  /** The output compared with the reference. */
  compare: string;
  /** Copies outputs the next stage needs into the carry. */
  export?: (outputs: Readonly<Record<string, Tensor>>, carry: Carry) => void;
}

export interface BenchStage {
  name: 'vision' | 'qformer' | 'decoder';
  part: CheckpointPart;
  build: (g: GraphBuilder, ckpt: HfCheckpoint, config: Blip2Config) => void;
  steps: BenchStep[];
}

/** "Question: what is this? Answer:" in the OPT vocabulary, after BOS (</s> = 2). */
const PROMPT_IDS = [2, 45641, 35, 99, 16, 42, 116, 31652, 35];
const EMBED_TOKENS = 'language_model.model.decoder.embed_tokens.weight';

const vision: BenchStage = {
  name: 'vision',
  part: 'vision',
  build: (g, ckpt, config) => buildVisionGraph(g, ckpt, config.vision),
  steps: [
    {
      label: () => 'vision (B=1)',
      feeds: ({ config }) => {
        const size = config.vision.imageSize;
        // Normalised pixels lie within about ±2: N(0, 1) is a fair stand-in for a photo.
        return { pixel_values: floatTensor(seededNormals(3 * size * size, 1), [1, 3, size, size]) };
      },
      compare: 'image_embeds',
      export: (outputs, carry) => (carry.imageEmbeds = floatOutput(outputs, 'image_embeds')),
    },
  ],
};

/** The `qformer` graph of blip-2.ts: query tokens, Q-Former, language_projection. */
const qformer: BenchStage = {
  name: 'qformer',
  part: 'qformer',
  build: buildQformerProjectionGraph,
  steps: [
    {
      label: () => 'qformer (B=1)',
      feeds: ({ config, carry }) => {
        const tokens = (config.vision.imageSize / config.vision.patchSize) ** 2 + 1;
        const dims = [1, tokens, config.vision.hiddenSize];
        return {
          image_embeds:
            carry.imageEmbeds ??
            floatTensor(seededNormals(tokens * config.vision.hiddenSize, 2), dims),
        };
      },
      compare: 'language_inputs',
      export: (outputs, carry) => (carry.languageInputs = floatOutput(outputs, 'language_inputs')),
    },
  ],
};

const promptLength = (config: Blip2Config): number => config.numQueryTokens + PROMPT_IDS.length;

const decoder: BenchStage = {
  name: 'decoder',
  part: 'language',
  build: (g, ckpt, config) => buildOptDecoderGraph(g, ckpt, config.text, 'language_model'),
  steps: [
    {
      label: (config) => `prefill (T=${promptLength(config)})`,
      feeds: ({ config, dir, carry }) => {
        const D = config.text.wordEmbedProjDim;
        const Q = config.numQueryTokens;
        const T = promptLength(config);
        const ids = PROMPT_IDS.map((id) => id % config.text.vocabSize);
        const embeds = new Float32Array(T * D);
        embeds.set(carry.languageInputs?.data ?? seededNormals(Q * D, 3), 0);
        embeds.set(readEmbeddingRows(join(dir, 'model.safetensors'), EMBED_TOKENS, ids), Q * D);
        return decoderFeeds(config, floatTensor(embeds, [1, T, D]), T, emptyCache(config));
      },
      compare: 'logits',
    },
    {
      label: (config) => `decode (P=${promptLength(config)})`,
      feeds: ({ config, dir, previous }) => {
        if (!previous) throw new Error('decode step needs the prefill outputs');
        const T = promptLength(config);
        const next = argmaxOfLastRow(floatOutput(previous, 'logits').data, config.text.vocabSize);
        const embeds = readEmbeddingRows(join(dir, 'model.safetensors'), EMBED_TOKENS, [next]);
        const past: Record<string, Tensor> = {};
        for (let i = 0; i < config.text.numHiddenLayers; i++) {
          past[`past_key_values.${i}.key`] = previous[`present.${i}.key`]!;
          past[`past_key_values.${i}.value`] = previous[`present.${i}.value`]!;
        }
        return decoderFeeds(
          config,
          floatTensor(embeds, [1, 1, config.text.wordEmbedProjDim]),
          T + 1,
          past,
        );
      },
      compare: 'logits',
    },
  ],
};

export function floatOutput(
  outputs: Readonly<Record<string, Tensor>>,
  name: string,
): Tensor<'float32'> {
  const t = outputs[name];
  if (t?.type !== 'float32') throw new Error(`onnxruntime returned no float32 ${name}`);
  return t as Tensor<'float32'>;
}

/** Feeds for a batch of one without padding: position_ids = cumsum(mask) * mask - 1 = 0..S-1. */
function decoderFeeds(
  config: Blip2Config,
  embeds: Tensor,
  total: number,
  past: Record<string, Tensor>,
): Record<string, Tensor> {
  const current = embeds.dims[1]!;
  const positions = Array.from({ length: current }, (_, i) => total - current + i);
  return {
    inputs_embeds: embeds,
    // The decoder embeds its own token ids too; these feeds bring every position as embeddings.
    input_ids: int64Tensor([], [1, 0]),
    attention_mask: int64Tensor([new Array<number>(total).fill(1)]),
    position_ids: int64Tensor([positions]),
    ...past,
  };
}

function emptyCache(config: Blip2Config): Record<string, Tensor> {
  const heads = config.text.numAttentionHeads;
  const dims = [1, heads, 0, config.text.hiddenSize / heads];
  const cache: Record<string, Tensor> = {};
  for (let i = 0; i < config.text.numHiddenLayers; i++) {
    cache[`past_key_values.${i}.key`] = floatTensor(new Float32Array(0), dims);
    cache[`past_key_values.${i}.value`] = floatTensor(new Float32Array(0), dims);
  }
  return cache;
}

export const STAGES: readonly BenchStage[] = [vision, qformer, decoder];
