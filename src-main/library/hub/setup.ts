import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRole, ModelSource } from '../../../native-models/catalog.ts';
import { HfCheckpoint } from '../../../native-models/checkpoint/hf-checkpoint.ts';
import { estimateConvertedBytes } from '../../../native-models/builder/converted-size.ts';
import type { Precision, PrecisionChoice } from '../../../native-models/builder/precision.ts';
import { resolvePrecision } from '../../engine/runtime/default-precision.ts';
import { MANIFEST_FILE, manifestSchema, type Manifest } from '../../../native-models/manifest.ts';
import { runtimeOptionsFrom, type ProviderName } from '../../engine/runtime/providers.ts';
import { defaultModelsDir } from '../paths.ts';
import { convertCheckpointInWorker } from './convert-in-worker.ts';
import { directoryBytes, formatBytes, freeDiskBytes } from './disk.ts';
import { HubError } from './errors.ts';
import { importLocalCheckpoint } from './local-import.ts';
import { shareVisionWeights } from './shared-vision.ts';
import type { PullProgress } from './progress.ts';
import { pullModel, type PullOptions, type PullResult } from './pull.ts';

export type SetupProgress =
  | ({ phase: 'download' } & PullProgress)
  | { phase: 'convert'; graph: string; bytesRead: number; bytesTotal: number };

export interface SetupOptions extends Omit<PullOptions, 'destDir' | 'onProgress'> {
  /** Default `<data folder>/models`; downloads go to `<modelsDir>/hf/<name>`. */
  modelsDir?: string;
  /** false: download only. */
  convert?: boolean;
  /** Convert this checkpoint folder instead of downloading (offline import). */
  localDir?: string;
  /** Precision of the conversion (default auto: int4 on CPU, fp16 on a GPU provider). */
  precision?: PrecisionChoice;
  /** Providers the model will run on, best first (default: --provider / SIGHTLINE_PROVIDER). */
  providers?: readonly ProviderName[];
  /**
   * false: delete the downloaded checkpoint once it is converted, so the model is not kept twice
   * on disk (a later pull, or another precision, downloads it again). Default true. Files linked
   * from the Hugging Face cache stay in that cache. An imported folder (`localDir`) is never
   * touched.
   */
  keepDownload?: boolean;
  onProgress?: (progress: SetupProgress) => void;
}

export interface SetupResult {
  name: string;
  repoId: string;
  role: ModelRole | null;
  /** The checkpoint that was converted (the download folder, or the imported one). */
  checkpointDir: string;
  /** The converted model, or null with `convert: false`. */
  modelDir: string | null;
  /** Its precision, or null with `convert: false`. */
  precision: Precision | null;
  revision: string | null;
  checkpointBytes: number;
  convertedBytes: number;
  /** Provider order the runtime will try; which one runs is known once the model loads. */
  preferredProviders: ProviderName[];
  pull: PullResult | null;
  /** True when the downloaded checkpoint was deleted after converting (`keepDownload: false`). */
  downloadRemoved: boolean;
  /** True when the model folder already held this exact conversion. */
  alreadyConverted: boolean;
  summary: string;
}

export function downloadDirFor(modelsDir: string, name: string): string {
  return join(modelsDir, 'hf', name);
}

/** The role a converted model serves, from its architecture. */
export const ROLE_OF = {
  Blip2ForConditionalGeneration: 'caption',
  Blip2ForImageTextRetrieval: 'search',
} as const satisfies Record<string, ModelRole>;

/** Download (or import) a BLIP-2 checkpoint and convert it into `<modelsDir>/<name>`. */
export async function setupModel(
  source: ModelSource & { architecture?: string },
  options: SetupOptions = {},
): Promise<SetupResult> {
  const modelsDir = options.modelsDir ?? defaultModelsDir();
  await mkdir(modelsDir, { recursive: true });
  let checkpointDir: string;
  let pull: PullResult | null = null;
  let revision: string | null = null;
  if (options.localDir) {
    checkpointDir = importLocalCheckpoint(options.localDir, source).dir;
  } else {
    const {
      modelsDir: _m,
      convert: _c,
      localDir: _l,
      precision: _p,
      providers: _providers,
      keepDownload: _k,
      onProgress,
      ...pullOptions
    } = options;
    pull = await pullModel(source, {
      ...pullOptions,
      destDir: downloadDirFor(modelsDir, source.name),
      onProgress: (p) => onProgress?.({ phase: 'download', ...p }),
    });
    checkpointDir = pull.destDir;
    revision = pull.record.revision;
  }

  const preferredProviders = [...(options.providers ?? runtimeOptionsFrom().providers)];
  let modelDir: string | null = null;
  let alreadyConverted = false;
  let role: ModelRole | null = null;
  let precision: Precision | null = null;
  if (options.convert !== false) {
    modelDir = join(modelsDir, source.name);
    ({ precision } = await resolvePrecision(options.precision ?? 'auto', preferredProviders));
    alreadyConverted = holdsConversion(modelDir, source.repoId, revision, precision);
    if (!alreadyConverted) {
      await ensureSpaceToConvert(
        checkpointDir,
        modelsDir,
        precision,
        options.freeBytes ?? freeDiskBytes,
      );
      // On a worker thread: converting a real model takes minutes of synchronous work.
      await convertCheckpointInWorker(checkpointDir, modelDir, {
        force: true,
        repoId: source.repoId,
        precision,
        ...(revision ? { revision } : {}),
        onProgress: (p) => options.onProgress?.({ phase: 'convert', ...p }),
      });
    }
    const manifest = readManifestIn(modelDir);
    if (!manifest) throw new Error(`${modelDir}: the conversion left no valid manifest`);
    shareVisionWeights(modelsDir, modelDir, readManifestIn);
    role = ROLE_OF[manifest.architecture];
  }

  const checkpointBytes = directoryBytes(checkpointDir);
  const convertedBytes = modelDir ? directoryBytes(modelDir) : 0;
  const downloadRemoved = options.keepDownload === false && pull !== null && modelDir !== null;
  if (downloadRemoved) await rm(checkpointDir, { recursive: true, force: true });
  const result = {
    name: source.name,
    repoId: source.repoId,
    role,
    checkpointDir,
    modelDir,
    precision,
    revision,
    checkpointBytes,
    convertedBytes,
    preferredProviders,
    pull,
    downloadRemoved,
    alreadyConverted,
  };
  return { ...result, summary: summarize(result) };
}

/** The folder already holds this revision converted at this precision (else: convert again). */
function holdsConversion(
  dir: string,
  repoId: string,
  revision: string | null,
  precision: Precision,
): boolean {
  const manifest = readManifestIn(dir);
  const source = manifest?.source;
  return (
    revision !== null &&
    source?.repoId === repoId &&
    source.revision === revision &&
    manifest?.precision === precision
  );
}

/** The manifest of a converted folder, or null (read without loading the runtime). */
export function readManifestIn(dir: string): Manifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The converted folder's approximate size at `precision` must fit on the disk. */
async function ensureSpaceToConvert(
  checkpointDir: string,
  modelsDir: string,
  precision: Precision,
  freeBytes: (dir: string) => Promise<number>,
): Promise<void> {
  const checkpoint = new HfCheckpoint(checkpointDir);
  let needed: number;
  try {
    needed = estimateConvertedBytes(checkpoint, precision);
  } finally {
    checkpoint.close();
  }
  const free = await freeBytes(modelsDir);
  if (needed > free) {
    throw new HubError(
      'disk-space',
      `not enough disk space in ${modelsDir} to convert: needs about ${formatBytes(needed)}, only ${formatBytes(free)} free`,
    );
  }
}

function summarize(r: Omit<SetupResult, 'summary'>): string {
  const role = r.role ? ` (${r.role})` : '';
  const providers = `preferred execution provider: ${r.preferredProviders.join(' → ')}`;
  if (!r.modelDir) {
    return `${r.name}${role}: downloaded ${formatBytes(r.checkpointBytes)} to ${r.checkpointDir} (not converted)`;
  }
  const state = `${r.alreadyConverted ? 'already converted' : 'converted'} (${r.precision})`;
  const checkpoint = r.downloadRemoved
    ? 'download removed'
    : `+${formatBytes(r.checkpointBytes)} checkpoint`;
  return `${r.name}${role}: ${state}, ${formatBytes(r.convertedBytes)} on disk at ${r.modelDir} (${checkpoint}); ${providers}`;
}
