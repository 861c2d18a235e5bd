import type { RgbImage } from './rgb-image.ts';

/*
 * A bit-exact port of Pillow's 8-bit resampler (src/libImaging/Resample.c) for the BICUBIC filter,
 * i.e. `Image.resize((w, h), Image.BICUBIC, reducing_gap=None)` on an RGB image. BLIP-2 was trained
 * on images preprocessed this way, and the golden tensors are byte-compared against it, so every
 * double operation and integer rounding below mirrors the C code in the same order.
 */

/** Fractional bits of Pillow's fixed-point coefficients: 32 - 8 (pixel) - 2 (headroom). */
const PRECISION_BITS = 32 - 8 - 2;
const BICUBIC_SUPPORT = 2.0;
const CHANNELS = 3;

/** Pillow's `bicubic_filter` with a = -0.5 (same expression order, so same double rounding). */
function bicubicFilter(xIn: number): number {
  const a = -0.5;
  const x = xIn < 0.0 ? -xIn : xIn;
  if (x < 1.0) {
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  }
  if (x < 2.0) {
    return (((x - 5) * x + 8) * x - 4) * a;
  }
  return 0.0;
}

/** Per output pixel: first input index, number of taps, and fixed-point weights (`ksize` stride). */
interface ResampleCoefficients {
  ksize: number;
  /** `[first0, count0, first1, count1, ...]` */
  bounds: Int32Array;
  /** Fixed-point (PRECISION_BITS) weights, `ksize` per output pixel, zero-padded. */
  weights: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for the box `[0, inSize)`.
 * The kernel support is widened by the downscale factor so downscaling antialiases.
 */
function precomputeCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  // C: `scale = (double)(in1 - in0) / outSize` with float in0/in1; exact for integer sizes.
  const scale = inSize / outSize;
  const filterScale = scale < 1.0 ? 1.0 : scale;
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;

  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const inverseFilterScale = 1.0 / filterScale;

  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts with `(int)`, which truncates toward zero (matters when the value is negative).
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;

    let sum = 0.0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * inverseFilterScale);
      k[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const normalized = sum !== 0.0 ? (k[x] ?? 0) / sum : (k[x] ?? 0);
      // normalize_coeffs_8bpc: round half away from zero via `(int)(±0.5 + w * 2^22)`.
      const scaled = normalized * (1 << PRECISION_BITS);
      weights[xx * ksize + x] = Math.trunc(normalized < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** Pillow's `clip8`: drop the fractional bits and saturate to [0, 255]. */
function clip8(acc: number): number {
  if (acc >= (1 << PRECISION_BITS) << 8) return 255;
  if (acc <= 0) return 0;
  return acc >> PRECISION_BITS;
}

const ROUNDING_OFFSET = 1 << (PRECISION_BITS - 1);

/**
 * Horizontal pass over input rows `[firstRow, firstRow + rows)`. Sums stay far below 2^31 (Pillow
 * relies on that for its int32 accumulators), so plain JS numbers reproduce them exactly.
 */
function resampleHorizontal(
  src: RgbImage,
  firstRow: number,
  rows: number,
  outWidth: number,
  coeffs: ResampleCoefficients,
): RgbImage {
  const { ksize, bounds, weights } = coeffs;
  const out = new Uint8Array(outWidth * rows * CHANNELS);
  const inStride = src.width * CHANNELS;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + firstRow) * inStride;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2] ?? 0;
      const xmax = bounds[xx * 2 + 1] ?? 0;
      const kBase = xx * ksize;
      let s0 = ROUNDING_OFFSET;
      let s1 = ROUNDING_OFFSET;
      let s2 = ROUNDING_OFFSET;
      for (let x = 0; x < xmax; x++) {
        const w = weights[kBase + x] ?? 0;
        const p = rowBase + (x + xmin) * CHANNELS;
        s0 += (src.data[p] ?? 0) * w;
        s1 += (src.data[p + 1] ?? 0) * w;
        s2 += (src.data[p + 2] ?? 0) * w;
      }
      const o = (yy * outWidth + xx) * CHANNELS;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

/** Vertical pass; `rowOffset` is subtracted from the coefficient bounds (rows skipped earlier). */
function resampleVertical(
  src: RgbImage,
  outHeight: number,
  coeffs: ResampleCoefficients,
  rowOffset: number,
): RgbImage {
  const { ksize, bounds, weights } = coeffs;
  const width = src.width;
  const out = new Uint8Array(width * outHeight * CHANNELS);
  const stride = width * CHANNELS;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = (bounds[yy * 2] ?? 0) - rowOffset;
    const ymax = bounds[yy * 2 + 1] ?? 0;
    const kBase = yy * ksize;
    for (let xx = 0; xx < width; xx++) {
      let s0 = ROUNDING_OFFSET;
      let s1 = ROUNDING_OFFSET;
      let s2 = ROUNDING_OFFSET;
      for (let y = 0; y < ymax; y++) {
        const w = weights[kBase + y] ?? 0;
        const p = (y + ymin) * stride + xx * CHANNELS;
        s0 += (src.data[p] ?? 0) * w;
        s1 += (src.data[p + 1] ?? 0) * w;
        s2 += (src.data[p + 2] ?? 0) * w;
      }
      const o = (yy * width + xx) * CHANNELS;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width, height: outHeight, data: out };
}

/**
 * Resize like Pillow's `Image.resize((width, height), BICUBIC, reducing_gap=None)` on an RGB
 * image, byte for byte. As in `ImagingResampleInner`, an axis whose size does not change is not
 * resampled, and the horizontal pass only computes the rows the vertical pass reads.
 */
export function resizeBicubicPillow(img: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (img.data.length !== img.width * img.height * CHANNELS || img.width < 1 || img.height < 1) {
    throw new RangeError(`not a ${img.width}x${img.height} RGB image (${img.data.length} bytes)`);
  }
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  if (!needHorizontal && !needVertical) {
    return { width, height, data: img.data.slice() };
  }

  const vertical = precomputeCoefficients(img.height, height);
  let current = img;
  let rowOffset = 0;
  if (needHorizontal) {
    // ybox_first / ybox_last: the input rows the vertical pass will touch.
    const firstRow = vertical.bounds[0] ?? 0;
    const lastRow = (vertical.bounds[height * 2 - 2] ?? 0) + (vertical.bounds[height * 2 - 1] ?? 0);
    const rows = needVertical ? lastRow - firstRow : img.height;
    if (needVertical) rowOffset = firstRow;
    const horizontal = precomputeCoefficients(img.width, width);
    current = resampleHorizontal(img, needVertical ? firstRow : 0, rows, width, horizontal);
  }
  if (needVertical) {
    current = resampleVertical(current, height, vertical, rowOffset);
  }
  return current;
}
