import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** PIL's resample enum value for BICUBIC, the only filter ported bit-exactly. */
const PIL_BICUBIC = 3;

/** Defaults of transformers' `BlipImageProcessor` for keys a config leaves out. */
const BLIP_DEFAULT_SIZE = 384;
const OPENAI_CLIP_MEAN: Rgb = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD: Rgb = [0.26862954, 0.26130258, 0.27577711];

type Rgb = [number, number, number];

export type ResizeTarget =
  | { kind: 'fixed'; height: number; width: number }
  /** Aspect-preserving: the shorter side becomes `shortestEdge` (HF `default_to_square=False`). */
  | { kind: 'shortest-edge'; shortestEdge: number };

/** `preprocessor_config.json`, validated and normalised. */
export interface PreprocessorConfig {
  doConvertRgb: boolean;
  doResize: boolean;
  size: ResizeTarget;
  resample: 'bicubic';
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  imageMean: Rgb;
  imageStd: Rgb;
}

const positiveInt = z.number().int().positive();
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

const rawConfigSchema = z.object({
  do_convert_rgb: z.boolean().optional(),
  do_resize: z.boolean().optional(),
  size: z
    .union([
      positiveInt,
      z.object({ height: positiveInt, width: positiveInt }),
      z.object({ shortest_edge: positiveInt }),
    ])
    .optional(),
  resample: z.number().int().optional(),
  do_rescale: z.boolean().optional(),
  rescale_factor: z.number().positive().optional(),
  do_normalize: z.boolean().optional(),
  image_mean: z.union([z.number(), rgbTriple]).optional(),
  image_std: z.union([z.number(), rgbTriple]).optional(),
  do_center_crop: z.boolean().optional(),
  do_pad: z.boolean().optional(),
});

type RawConfig = z.infer<typeof rawConfigSchema>;

export class PreprocessorConfigError extends Error {
  override readonly name = 'PreprocessorConfigError';
}

/** Read and validate `<dir>/preprocessor_config.json`. */
export async function loadPreprocessorConfig(dir: string): Promise<PreprocessorConfig> {
  const path = join(dir, 'preprocessor_config.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PreprocessorConfigError(`Cannot read ${path}: ${String(error)}`, { cause: error });
  }
  return parsePreprocessorConfig(json, path);
}

/** Validate an already-parsed `preprocessor_config.json` object. */
export function parsePreprocessorConfig(
  json: unknown,
  label = 'preprocessor config',
): PreprocessorConfig {
  const parsed = rawConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new PreprocessorConfigError(`Invalid ${label}: ${z.prettifyError(parsed.error)}`);
  }
  const raw = parsed.data;
  rejectUnsupported(raw, label);
  return {
    doConvertRgb: raw.do_convert_rgb ?? true,
    doResize: raw.do_resize ?? true,
    size: toResizeTarget(raw.size),
    resample: 'bicubic',
    doRescale: raw.do_rescale ?? true,
    rescaleFactor: raw.rescale_factor ?? 1 / 255,
    doNormalize: raw.do_normalize ?? true,
    imageMean: toRgb(raw.image_mean, OPENAI_CLIP_MEAN),
    imageStd: toRgb(raw.image_std, OPENAI_CLIP_STD),
  };
}

/** Options we would otherwise silently get wrong are errors, not approximations. */
function rejectUnsupported(raw: RawConfig, label: string): void {
  if (raw.resample !== undefined && raw.resample !== PIL_BICUBIC) {
    throw new PreprocessorConfigError(
      `Unsupported resample ${raw.resample} in ${label}: only PIL BICUBIC (${PIL_BICUBIC}) is implemented`,
    );
  }
  if (raw.do_center_crop === true || raw.do_pad === true) {
    throw new PreprocessorConfigError(`Unsupported do_center_crop/do_pad in ${label}`);
  }
}

function toResizeTarget(size: RawConfig['size']): ResizeTarget {
  if (size === undefined) {
    return { kind: 'fixed', height: BLIP_DEFAULT_SIZE, width: BLIP_DEFAULT_SIZE };
  }
  if (typeof size === 'number') return { kind: 'fixed', height: size, width: size };
  if ('shortest_edge' in size) return { kind: 'shortest-edge', shortestEdge: size.shortest_edge };
  return { kind: 'fixed', height: size.height, width: size.width };
}

function toRgb(value: number | Rgb | undefined, fallback: Rgb): Rgb {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? [value, value, value] : value;
}
