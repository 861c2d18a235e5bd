import { resizeBicubicPillow } from './pillow-resize.ts';
import type { PreprocessorConfig } from './preprocessor-config.ts';
import type { RgbImage } from './rgb-image.ts';

export { loadPreprocessorConfig, parsePreprocessorConfig } from './preprocessor-config.ts';
export type { PreprocessorConfig, ResizeTarget } from './preprocessor-config.ts';

/** Output size of the resize step, as transformers computes it for the PIL backend. */
export function resizedSize(
  img: Pick<RgbImage, 'width' | 'height'>,
  cfg: PreprocessorConfig,
): { width: number; height: number } {
  if (!cfg.doResize) return { width: img.width, height: img.height };
  if (cfg.size.kind === 'fixed') return { width: cfg.size.width, height: cfg.size.height };
  // get_resize_output_image_size(default_to_square=False): long side = int(short * long / short).
  const edge = cfg.size.shortestEdge;
  if (img.width <= img.height) {
    return { width: edge, height: Math.trunc((edge * img.height) / img.width) };
  }
  return { width: Math.trunc((edge * img.width) / img.height), height: edge };
}

/**
 * BLIP image preprocessing (`BlipImageProcessorPil`): Pillow bicubic resize, then rescale and
 * normalise. Returns CHW float32 `[3, H, W]` bit-identical to transformers' output.
 */
export function preprocessImage(img: RgbImage, cfg: PreprocessorConfig): Float32Array {
  const { width, height } = resizedSize(img, cfg);
  const resized = cfg.doResize ? resizeBicubicPillow(img, width, height) : img;
  return rescaleAndNormalize(resized, cfg);
}

/**
 * Steps 3-4 on an already-resized image, in numpy's dtypes: `(x.astype(float64) * factor)` cast to
 * float32, then `(x - mean) / std` with float32 mean/std. `Math.fround` after each op gives exactly
 * float32 arithmetic (a double result of two float32 operands rounds to the same float32).
 */
export function rescaleAndNormalize(img: RgbImage, cfg: PreprocessorConfig): Float32Array {
  const plane = img.width * img.height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const lut = channelLookup(cfg, c);
    for (let i = 0; i < plane; i++) {
      out[c * plane + i] = lut[img.data[i * 3 + c] ?? 0] ?? 0;
    }
  }
  return out;
}

/** The transform depends only on the uint8 value, so compute it once per level and channel. */
function channelLookup(cfg: PreprocessorConfig, channel: number): Float32Array {
  const mean = Math.fround(cfg.imageMean[channel] ?? 0);
  const std = Math.fround(cfg.imageStd[channel] ?? 1);
  const lut = new Float32Array(256);
  for (let level = 0; level < 256; level++) {
    let x = cfg.doRescale ? Math.fround(level * cfg.rescaleFactor) : level;
    if (cfg.doNormalize) x = Math.fround(Math.fround(x - mean) / std);
    lut[level] = x;
  }
  return lut;
}

/** Preprocess several images into one NCHW batch; all must resize to the same size. */
export function preprocessBatch(
  images: readonly RgbImage[],
  cfg: PreprocessorConfig,
): { data: Float32Array; dims: [number, 3, number, number] } {
  const first = images[0];
  if (first === undefined) throw new RangeError('preprocessBatch needs at least one image');
  const { width, height } = resizedSize(first, cfg);
  const per = 3 * width * height;
  const data = new Float32Array(per * images.length);
  images.forEach((img, i) => {
    const size = resizedSize(img, cfg);
    if (size.width !== width || size.height !== height) {
      throw new RangeError(
        `batch image ${i} resizes to ${size.width}x${size.height}, expected ${width}x${height}`,
      );
    }
    data.set(preprocessImage(img, cfg), i * per);
  });
  return { data, dims: [images.length, 3, height, width] };
}
