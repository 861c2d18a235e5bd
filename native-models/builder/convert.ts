import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { HfCheckpoint } from '../checkpoint/hf-checkpoint.ts';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  type ManifestGraph,
} from '../manifest.ts';
import { moduleFormats, type Precision } from './precision.ts';
import { converterFor } from './registry.ts';

/** Files besides the weights that the runtime needs, copied so a converted folder stands alone. */
const COMPANION_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
];

export const CONVERTER_VERSION = '1';

export interface ConvertProgress {
  graph: string;
  /** Bytes of checkpoint tensors read so far, and the expected total (an estimate: shared tensors are read per graph). */
  bytesRead: number;
  bytesTotal: number;
}

export interface ConvertOptions {
  onProgress?: (p: ConvertProgress) => void;
  /** Hub repo id and commit, when known; detected from a Hugging Face cache path otherwise. */
  repoId?: string;
  revision?: string;
  /** Replace an existing conversion in outDir. */
  force?: boolean;
  /** Weight and compute formats of the graphs (default fp32: exact parity with PyTorch). */
  precision?: Precision;
}

export interface ConvertResult {
  manifest: Manifest;
  outDir: string;
}

/** `sightline models convert <hf-dir> <out-dir>`: HF checkpoint folder → ONNX graphs + manifest. */
export function convertCheckpoint(
  hfDir: string,
  outDir: string,
  options: ConvertOptions = {},
): ConvertResult {
  const source = resolve(hfDir);
  const target = resolve(outDir);
  if (existsSync(join(target, MANIFEST_FILE)) && !options.force) {
    throw new Error(`${target} already holds a converted model (use --force to replace it)`);
  }
  mkdirSync(target, { recursive: true });
  // A conversion is complete only once the manifest exists: remove a stale one first so a crash
  // halfway never leaves a folder that looks usable.
  rmSync(join(target, MANIFEST_FILE), { force: true });
  const ckpt = new HfCheckpoint(source);
  try {
    const architecture = architectureOf(ckpt.config);
    const convert = converterFor(architecture);
    const bytesTotal = ckpt.totalBytes();
    let bytesRead = 0;
    let graph = '';
    ckpt.onRead = (info) => {
      bytesRead += info.end - info.begin;
      options.onProgress?.({ graph, bytesRead: Math.min(bytesRead, bytesTotal), bytesTotal });
    };
    const precision = options.precision ?? 'fp32';
    const output = convert(ckpt, target, moduleFormats(precision), (name) => {
      graph = name;
      options.onProgress?.({ graph, bytesRead: Math.min(bytesRead, bytesTotal), bytesTotal });
    });
    // lm_head tied to embed_tokens: if stored, it is the same matrix and was used as the head.
    ckpt.assertAllConsumed();
    const copiedFiles = COMPANION_FILES.filter((f) => existsSync(join(source, f)));
    for (const f of copiedFiles) copyFileSync(join(source, f), join(target, f));
    const detected = detectHubOrigin(source);
    const { config } = output;
    const manifest: Manifest = {
      format: 'sightline-onnx',
      formatVersion: MANIFEST_FORMAT_VERSION,
      architecture: architecture as Manifest['architecture'],
      source: {
        dir: source,
        repoId: options.repoId ?? detected.repoId,
        revision: options.revision ?? detected.revision,
        weightsDtype: ckpt.dominantDtype(),
      },
      precision,
      visionFingerprint: output.visionFingerprint,
      numQueryTokens: config.numQueryTokens,
      imageSize: config.vision.imageSize,
      imageTokenIndex: config.imageTokenIndex,
      text:
        architecture === 'Blip2ForConditionalGeneration'
          ? {
              vocabSize: config.text.vocabSize,
              hiddenSize: config.text.wordEmbedProjDim,
              numLayers: config.text.numHiddenLayers,
              numHeads: config.text.numAttentionHeads,
              headDim: config.text.hiddenSize / config.text.numAttentionHeads,
              maxPositions: config.text.maxPositionEmbeddings,
              bosTokenId: config.text.bosTokenId,
              padTokenId: config.text.padTokenId,
              eosTokenIds: config.text.eosTokenIds,
            }
          : null,
      qformerMaxTextLength:
        architecture === 'Blip2ForImageTextRetrieval' ? config.qformer.maxPositionEmbeddings : null,
      graphs: output.graphs satisfies Record<string, ManifestGraph>,
      copiedFiles,
      createdAt: new Date().toISOString(),
      converterVersion: CONVERTER_VERSION,
    };
    writeFileSync(join(target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return { manifest, outDir: target };
  } finally {
    ckpt.close();
  }
}

function architectureOf(config: Record<string, unknown>): string {
  const list = config.architectures;
  return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : '';
}

/** `…/models--Org--Name/snapshots/<commit>/` (the Hugging Face cache layout) → repo id + commit. */
export function detectHubOrigin(dir: string): { repoId: string | null; revision: string | null } {
  const parts = resolve(dir).split(sep);
  const snapshots = parts.lastIndexOf('snapshots');
  const repoFolder = snapshots > 0 ? parts[snapshots - 1] : undefined;
  const revision = snapshots > 0 ? parts[snapshots + 1] : undefined;
  if (repoFolder?.startsWith('models--') && revision) {
    return { repoId: repoFolder.slice('models--'.length).replace('--', '/'), revision };
  }
  return { repoId: null, revision: null };
}

export function describeConversion(result: ConvertResult): string {
  const graphs = Object.keys(result.manifest.graphs).join(', ');
  const { architecture, precision } = result.manifest;
  return `${architecture} → ${basename(result.outDir)} (${precision}: ${graphs})`;
}
