import { ImageDecodeError } from '../../engine/image/decode-error.ts';
import { preprocessImage } from '../../engine/image/preprocess.ts';
import type { PreprocessorConfig } from '../../engine/image/preprocessor-config.ts';
import type { RgbImage } from '../../engine/image/rgb-image.ts';
import { decodePhoto } from './decode.ts';
import { hashFile } from './hash.ts';
import type { FileHash } from './hash.ts';
import { readPhotoMetadata } from './metadata.ts';
import type { PhotoMetadata } from './metadata.ts';
import { writeThumbnail } from './thumbnail.ts';

export interface PhotoJob {
  path: string;
  preprocessor: PreprocessorConfig;
  thumbnailDir: string;
  maxPixels: number;
  /** Longest thumbnail side (default 512). */
  thumbnailSize?: number;
}

export interface ProcessedPhoto {
  ok: true;
  path: string;
  sha256: string;
  size: number;
  metadata: PhotoMetadata;
  /** CHW float32, model-ready (the engine's `preprocessImage`). */
  pixelValues: Float32Array;
  thumbnailPath: string;
  /** Milliseconds spent decoding and preprocessing this photo. */
  decodeMs: number;
}

export interface FailedPhoto {
  ok: false;
  path: string;
  stage: 'read' | 'decode' | 'metadata';
  /** A sentence for people (includes the file and the cause). */
  reason: string;
  /** Stable code: an `ImageDecodeReason` for decode failures, the errno code for read failures. */
  code?: string;
}

/** How a worker coordinates decodes with the other workers; see `DecodeLock` for why. */
export interface PhotoJobContext {
  /** Runs a decode alongside other shared decodes. */
  shared: <T>(task: () => Promise<T>) => Promise<T>;
  /** Runs a decode alone in the process. */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>;
}

const UNCOORDINATED: PhotoJobContext = { shared: (task) => task(), exclusive: (task) => task() };

/** Reasons that come from libvips' error message (the others are decided before decoding). */
const MESSAGE_DERIVED = new Set(['corrupt', 'truncated', 'unsupported-codec', 'too-many-pixels']);

/**
 * All per-file CPU and I/O work for indexing: hash, decode (upright RGB), metadata, model input
 * and thumbnail. Per-file problems come back as `FailedPhoto`; only environment problems (the
 * thumbnail folder cannot be written) throw, since they are not the file's fault.
 */
export async function processPhotoJob(
  job: PhotoJob,
  context: PhotoJobContext = UNCOORDINATED,
): Promise<ProcessedPhoto | FailedPhoto> {
  const { path } = job;
  let hash: FileHash;
  try {
    hash = await hashFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = `Cannot read ${path}: ${errorText(error)}`;
    return { ok: false, path, stage: 'read', reason, ...(code ? { code } : {}) };
  }
  // Every sharp call clears libvips' process-wide error buffer, so all of them (not only the
  // decode) run in the shared section, and a failure is repeated alone for its own reason.
  const first = await context.shared(() => analyse(job, hash));
  if (first.ok || first.stage !== 'decode' || !MESSAGE_DERIVED.has(first.code ?? '')) return first;
  return context.exclusive(() => analyse(job, hash));
}

async function analyse(job: PhotoJob, hash: FileHash): Promise<ProcessedPhoto | FailedPhoto> {
  const { path } = job;
  const started = performance.now();
  let image: RgbImage;
  try {
    image = await decodePhoto(path, { maxPixels: job.maxPixels });
  } catch (error) {
    if (error instanceof ImageDecodeError) {
      return { ok: false, path, stage: 'decode', reason: error.message, code: error.reason };
    }
    return {
      ok: false,
      path,
      stage: 'decode',
      reason: `Cannot decode image ${path}: ${errorText(error)}`,
    };
  }
  const pixelValues = preprocessImage(image, job.preprocessor);
  const decodeMs = performance.now() - started;

  let metadata: PhotoMetadata;
  try {
    metadata = await readPhotoMetadata(path);
  } catch (error) {
    return {
      ok: false,
      path,
      stage: 'metadata',
      reason: `Cannot read metadata of ${path}: ${errorText(error)}`,
    };
  }

  const thumbnailPath = await writeThumbnail(
    image,
    job.thumbnailDir,
    hash.sha256,
    job.thumbnailSize,
  );
  return { ok: true, path, ...hash, metadata, pixelValues, thumbnailPath, decodeMs };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
