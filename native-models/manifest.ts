import { z } from 'zod';

/**
 * What `sightline models convert` writes next to the graphs, so the runtime never guesses names,
 * shapes or token ids. Written last: a folder without it is an unfinished conversion.
 */
export const MANIFEST_FILE = 'sightline-manifest.json';
export const MANIFEST_FORMAT_VERSION = 1;

const valueSpec = z.object({
  name: z.string(),
  dtype: z.enum(['float32', 'int64', 'float16', 'int32', 'uint8', 'bool']),
  shape: z.array(z.union([z.number().int(), z.string()])),
});
export type ManifestValueSpec = z.infer<typeof valueSpec>;

const graphSpec = z.object({
  file: z.string(),
  dataFile: z.string(),
  inputs: z.array(valueSpec),
  outputs: z.array(valueSpec),
});
export type ManifestGraph = z.infer<typeof graphSpec>;

export const manifestSchema = z.object({
  format: z.literal('sightline-onnx'),
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  architecture: z.enum(['Blip2ForConditionalGeneration', 'Blip2ForImageTextRetrieval']),
  source: z.object({
    dir: z.string(),
    repoId: z.string().nullable(),
    revision: z.string().nullable(),
    weightsDtype: z.string(),
  }),
  computeDtype: z.literal('float32'),
  /** sha256 of the vision tower's weights as float32: equal values → image embeddings reusable. */
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
});
export type Manifest = z.infer<typeof manifestSchema>;
