import { z } from 'zod';
import { bytesPerWeight, moduleFormats, type Precision } from './builder/precision.ts';

/**
 * The BLIP-2 checkpoints Sightline knows how to fetch from the Hugging Face Hub and convert.
 *
 * Sizes are APPROXIMATE (rounded, from the parameter counts: the Salesforce checkpoints are stored
 * in float32, ~4 bytes per parameter, and conversion computes in float32 too). The exact file list
 * and sizes are read from the Hub when pulling.
 *
 * Revisions: Sightline should pin a 40-hex commit so every user converts the same weights. The
 * commit ids of these repos could not be looked up while this catalog was written (no network),
 * so every entry follows `main` for now (`revisionPinned: false`). A pull records the commit that
 * `main` resolved to in `sightline-download.json` and in the converted manifest. Replace `main`
 * with the real commit (and set `revisionPinned: true`) once it has been checked on the Hub.
 */

export const MODEL_ROLES = ['caption', 'search'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

export const CAPABILITIES = ['caption', 'question-answering', 'search'] as const;

const COMMIT_ID = /^[0-9a-f]{40}$/;

/** Which files of a repo a pull fetches (matched against the Hub's file list). */
const fileSelectionSchema = z.object({
  /** Must exist in the repo; a pull fails when one is missing. */
  required: z.array(z.string().min(1)).min(1),
  /** Fetched when the repo has them. */
  optional: z.array(z.string()),
  /** Weights: `model.safetensors`, or `model.safetensors.index.json` plus its shards. */
  weights: z.literal('safetensors'),
});
export type FileSelection = z.infer<typeof fileSelectionSchema>;

/** Anything pullModel can fetch: a catalog entry, or an ad-hoc repo id given on the command line. */
export const modelSourceSchema = z.object({
  /** Folder name under `<models dir>/` and `<models dir>/hf/`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i),
  repoId: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** A 40-hex commit id, or a branch name (`main`) when not pinned (see revisionPinned). */
  revision: z.string().min(1),
  files: fileSelectionSchema,
});
export type ModelSource = z.infer<typeof modelSourceSchema>;

export const catalogEntrySchema = modelSourceSchema
  .extend({
    /** True only when `revision` is a commit id verified on the Hub. */
    revisionPinned: z.boolean(),
    role: z.enum(MODEL_ROLES),
    capabilities: z.array(z.enum(CAPABILITIES)).min(1),
    architecture: z.enum(['Blip2ForConditionalGeneration', 'Blip2ForImageTextRetrieval']),
    /** The model installed for the role when none is chosen. */
    isDefault: z.boolean(),
    purpose: z.string().min(1),
    /** Approximate: parameter count, Hub download, converted float32 folder, and RAM to run on CPU. */
    approx: z.object({
      parameters: z.number().positive(),
      downloadBytes: z.number().int().positive(),
      convertedBytes: z.number().int().positive(),
      memoryBytes: z.number().int().positive(),
    }),
  })
  .refine((e) => (e.revisionPinned ? COMMIT_ID.test(e.revision) : e.revision === 'main'), {
    message: 'a pinned revision must be a 40-hex commit id; an unpinned one must be "main"',
    path: ['revision'],
  });
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

/** What each downloaded file is for (shown by `sightline models list --json`). */
export const FILE_PURPOSES: Record<string, string> = {
  'config.json': 'model dimensions and architecture (vision, Q-Former, language model)',
  'model.safetensors': 'the weights (single file)',
  'model.safetensors.index.json': 'which weight shard holds which tensor',
  'model-*-of-*.safetensors': 'the weights (shards)',
  'tokenizer.json': 'the tokenizer (fast tokenizer format read by @huggingface/tokenizers)',
  'tokenizer_config.json': 'tokenizer settings (special tokens, padding, BOS)',
  'special_tokens_map.json': 'names of the special tokens',
  'added_tokens.json': 'tokens added to the base vocabulary (e.g. <image>)',
  'vocab.json': 'BPE vocabulary (OPT)',
  'merges.txt': 'BPE merge ranks (OPT)',
  'vocab.txt': 'WordPiece vocabulary (BERT, ITM)',
  'preprocessor_config.json': 'image preprocessing: size, resampling, mean/std',
  'processor_config.json': 'number of <image> tokens the processor inserts',
  'generation_config.json': 'generation defaults, including the end-of-sequence token',
};

const GB = 1e9;

const OPT_FILES: FileSelection = {
  required: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'],
  optional: [
    'generation_config.json',
    'processor_config.json',
    'special_tokens_map.json',
    'added_tokens.json',
    'vocab.json',
    'merges.txt',
  ],
  weights: 'safetensors',
};

const ITM_FILES: FileSelection = {
  required: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'],
  optional: [
    'special_tokens_map.json',
    'added_tokens.json',
    'vocab.txt',
    'processor_config.json',
    'generation_config.json',
  ],
  weights: 'safetensors',
};

// ~3.9 B parameters: ViT-g (~1.0 B) + Q-Former (~0.1 B) + OPT-2.7B (~2.7 B); float32 on the Hub.
const OPT_27B_APPROX = {
  parameters: 3.87e9,
  downloadBytes: 15.5 * GB,
  convertedBytes: 15.5 * GB,
  memoryBytes: 15.5 * GB,
};

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'blip2-opt-2.7b',
    repoId: 'Salesforce/blip2-opt-2.7b',
    revision: 'main', // NOT pinned: the commit id could not be verified offline (see top).
    revisionPinned: false,
    role: 'caption',
    capabilities: ['caption', 'question-answering'],
    architecture: 'Blip2ForConditionalGeneration',
    isDefault: true,
    purpose: 'captions photos and answers questions about them (BLIP-2 with OPT-2.7B)',
    files: OPT_FILES,
    approx: OPT_27B_APPROX,
  },
  {
    name: 'blip2-itm-vit-g',
    repoId: 'Salesforce/blip2-itm-vit-g',
    revision: 'main', // NOT pinned: the commit id could not be verified offline (see top).
    revisionPinned: false,
    role: 'search',
    capabilities: ['search'],
    architecture: 'Blip2ForImageTextRetrieval',
    isDefault: true,
    purpose: 'text-to-image search: image and text embeddings (ITC) and match scores (ITM)',
    files: ITM_FILES,
    // ~1.15 B parameters (ViT-g + Q-Former with its text path), float32.
    approx: {
      parameters: 1.15e9,
      downloadBytes: 4.6 * GB,
      convertedBytes: 4.6 * GB,
      memoryBytes: 4.6 * GB,
    },
  },
  {
    name: 'blip2-opt-2.7b-coco',
    repoId: 'Salesforce/blip2-opt-2.7b-coco',
    revision: 'main', // NOT pinned: the commit id could not be verified offline (see top).
    revisionPinned: false,
    role: 'caption',
    capabilities: ['caption', 'question-answering'],
    architecture: 'Blip2ForConditionalGeneration',
    isDefault: false,
    purpose:
      'optional caption model fine-tuned on COCO captions: shorter, more literal captions than blip2-opt-2.7b',
    files: OPT_FILES,
    approx: OPT_27B_APPROX,
  },
];

/**
 * Parameters of the ViT-g (39 layers of 1408, ~0.99 B) and the Q-Former (~0.11 B) in every BLIP-2
 * checkpoint here; the rest of `approx.parameters` is the language model (the ITM checkpoint has
 * none: its rest is the Q-Former's text path).
 */
const VISION_PARAMETERS = 0.99e9;
const QFORMER_PARAMETERS = 0.11e9;

/**
 * Approximate converted size and CPU memory of a catalog model at `precision`: each module's
 * parameters × the bytes per weight of its format (the `approx` fields are the fp32 figures).
 */
export function approxAtPrecision(
  entry: CatalogEntry,
  precision: Precision,
): { convertedBytes: number; memoryBytes: number } {
  const formats = moduleFormats(precision);
  const hasLanguageModel = entry.architecture === 'Blip2ForConditionalGeneration';
  const language = hasLanguageModel
    ? entry.approx.parameters - VISION_PARAMETERS - QFORMER_PARAMETERS
    : 0;
  const qformer = entry.approx.parameters - VISION_PARAMETERS - language;
  const bytes =
    VISION_PARAMETERS * bytesPerWeight(formats.vision) +
    qformer * bytesPerWeight(formats.qformer) +
    language * bytesPerWeight(formats.language);
  const scale = bytes / (entry.approx.parameters * 4);
  return {
    convertedBytes: Math.round(entry.approx.convertedBytes * scale),
    memoryBytes: Math.round(entry.approx.memoryBytes * scale),
  };
}

/** Files any BLIP-2 repo needs, for repo ids that are not in the catalog. */
export const GENERIC_BLIP2_FILES: FileSelection = {
  required: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'],
  optional: [...new Set([...OPT_FILES.optional, ...ITM_FILES.optional])],
  weights: 'safetensors',
};

/** A catalog entry by folder name or repo id (case-insensitive), or undefined. */
export function findCatalogEntry(ref: string): CatalogEntry | undefined {
  const wanted = ref.toLowerCase();
  return MODEL_CATALOG.find(
    (e) => e.name.toLowerCase() === wanted || e.repoId.toLowerCase() === wanted,
  );
}

/** A catalog entry, or an ad-hoc source for any other `org/name` repo id. */
export function modelSourceFor(ref: string, revision?: string): ModelSource {
  const known = findCatalogEntry(ref);
  if (known) return revision ? { ...known, revision } : known;
  if (!/^[\w.-]+\/[\w.-]+$/.test(ref)) {
    const names = MODEL_CATALOG.map((e) => e.name).join(', ');
    throw new Error(
      `unknown model "${ref}": use one of ${names}, or a Hugging Face repo id (org/name)`,
    );
  }
  return modelSourceSchema.parse({
    name: ref.split('/')[1],
    repoId: ref,
    revision: revision ?? 'main',
    files: GENERIC_BLIP2_FILES,
  });
}

const SHARD = /^model-\d+-of-\d+\.safetensors$/;

/**
 * The files of a repo (the Hub's `siblings[].rfilename`) a pull should fetch. Throws naming what
 * is missing: a required file, or safetensors weights (PyTorch `.bin` files are never fetched).
 */
export function selectRepoFiles(source: ModelSource, repoFiles: readonly string[]): string[] {
  const present = new Set(repoFiles);
  const missing = source.files.required.filter((f) => !present.has(f));
  if (missing.length > 0) {
    throw new Error(`${source.repoId} has no ${missing.join(', ')} (is it a BLIP-2 model repo?)`);
  }
  const weights = present.has('model.safetensors.index.json')
    ? ['model.safetensors.index.json', ...repoFiles.filter((f) => SHARD.test(f)).sort()]
    : present.has('model.safetensors')
      ? ['model.safetensors']
      : [];
  if (weights.length === 0) {
    const hasBin = repoFiles.some((f) => f.endsWith('.bin'));
    throw new Error(
      `${source.repoId} has no safetensors weights${hasBin ? ' (only PyTorch .bin files, which Sightline does not read)' : ''}`,
    );
  }
  const optional = source.files.optional.filter((f) => present.has(f));
  return [...new Set([...source.files.required, ...optional, ...weights])];
}
