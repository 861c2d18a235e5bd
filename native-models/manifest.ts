import { z } from 'zod';
import { PRECISIONS, type GraphFormat } from './builder/precision.ts';

/**
 * What `sightline models convert` writes next to the graphs, so the runtime never guesses names,
 * shapes or token ids. Written last: a folder without it is an unfinished conversion.
 */
export const MANIFEST_FILE = 'sightline-manifest.json';
export const MANIFEST_FORMAT_VERSION = 2;

const valueSpec = z.object({
  name: z.string(),
  dtype: z.enum(['float32', 'int64', 'float16', 'int32', 'uint8', 'bool']),
  shape: z.array(z.union([z.number().int(), z.string()])),
});
export type ManifestValueSpec = z.infer<typeof valueSpec>;

const graphFormat = z.object({
  linear: z.enum(['fp32', 'fp16', 'int8', 'int4', 'dynamic-int8']),
  table: z.enum(['fp32', 'fp16', 'int8']),
  activations: z.enum(['fp32', 'fp16']),
  blockSize: z.number().int().positive().optional(),
}) satisfies z.ZodType<GraphFormat>;

const FP32_GRAPH: GraphFormat = { linear: 'fp32', table: 'fp32', activations: 'fp32' };

const graphSpec = z.object({
  file: z.string(),
  dataFile: z.string(),
  /** How the graph stores its weights and computes (version 2; version 1 graphs are fp32). */
  format: graphFormat.default(FP32_GRAPH),
  inputs: z.array(valueSpec),
  outputs: z.array(valueSpec),
});
export type ManifestGraph = z.infer<typeof graphSpec>;

const manifestFields = {
  format: z.literal('sightline-onnx'),
  architecture: z.enum(['Blip2ForConditionalGeneration', 'Blip2ForImageTextRetrieval']),
  source: z.object({
    dir: z.string(),
    repoId: z.string().nullable(),
    revision: z.string().nullable(),
    weightsDtype: z.string(),
  }),
  /** sha256 of the converted vision weights (and their format when not fp32): equal → reusable. */
  visionFingerprint: z.string(),
  numQueryTokens: z.number().int().positive(),
  imageSize: z.number().int().positive(),
  imageTokenIndex: z.number().int().nullable(),
  text: z
    .object({
      vocabSize: z.number().int(),
      hiddenSize: z.number().int(),
      numLayers: z.number().int(),
      numHeads: z.number().int(),
      headDim: z.number().int(),
      maxPositions: z.number().int(),
      bosTokenId: z.number().int(),
      padTokenId: z.number().int(),
      eosTokenIds: z.array(z.number().int()),
    })
    .nullable(),
  qformerMaxTextLength: z.number().int().nullable(),
  graphs: z.record(z.string(), graphSpec),
  copiedFiles: z.array(z.string()),
  createdAt: z.string(),
  converterVersion: z.string(),
};

const currentManifest = z.object({
  ...manifestFields,
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  /** `sightline models convert --precision`: the preset every graph's `format` comes from. */
  precision: z.enum(PRECISIONS),
});

/** Version 1 (before precisions): float32 graphs, read as an fp32 conversion. */
const version1Manifest = z
  .object({ ...manifestFields, formatVersion: z.literal(1), computeDtype: z.literal('float32') })
  .transform(({ computeDtype: _float32, ...rest }): z.output<typeof currentManifest> => ({
    ...rest,
    formatVersion: MANIFEST_FORMAT_VERSION,
    precision: 'fp32',
  }));

export const manifestSchema = z.union([currentManifest, version1Manifest]);
export type Manifest = z.output<typeof currentManifest>;
