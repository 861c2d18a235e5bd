import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageToRgb } from '../../../../src-main/engine/image/decode.ts';
import {
  loadPreprocessorConfig,
  parsePreprocessorConfig,
  preprocessBatch,
  preprocessImage,
  rescaleAndNormalize,
  resizedSize,
} from '../../../../src-main/engine/image/preprocess.ts';
import { BLIP2_TINY, goldenImages, goldenResized, sha256 } from './fixtures.ts';

const cfg = await loadPreprocessorConfig(`${BLIP2_TINY}opt`);
const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function configDirWith(json: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-pp-'));
  tmpDirs.push(dir);
  await writeFile(join(dir, 'preprocessor_config.json'), JSON.stringify(json));
  return dir;
}

describe('loadPreprocessorConfig', () => {
  it('reads the BLIP-2 fixture configs (opt and itm agree)', async () => {
    const raw = JSON.parse(await readFile(`${BLIP2_TINY}opt/preprocessor_config.json`, 'utf8')) as {
      do_convert_rgb: boolean;
      do_resize: boolean;
      size: { height: number; width: number };
      do_rescale: boolean;
      rescale_factor: number;
      do_normalize: boolean;
      image_mean: number[];
      image_std: number[];
    };
    expect(cfg).toEqual({
      doConvertRgb: raw.do_convert_rgb,
      doResize: raw.do_resize,
      size: { kind: 'fixed', height: raw.size.height, width: raw.size.width },
      resample: 'bicubic',
      doRescale: raw.do_rescale,
      rescaleFactor: raw.rescale_factor,
      doNormalize: raw.do_normalize,
      imageMean: raw.image_mean,
      imageStd: raw.image_std,
    });
    expect(await loadPreprocessorConfig(`${BLIP2_TINY}itm`)).toEqual(cfg);
  });

  it('accepts the int and shortest_edge size forms', () => {
    expect(parsePreprocessorConfig({ size: 384 }).size).toEqual({
      kind: 'fixed',
      height: 384,
      width: 384,
    });
    const shortest = parsePreprocessorConfig({ size: { shortest_edge: 10 } });
    expect(resizedSize({ width: 40, height: 30 }, shortest)).toEqual({ width: 13, height: 10 });
    expect(resizedSize({ width: 30, height: 45 }, shortest)).toEqual({ width: 10, height: 15 });
  });

  it('refuses resample filters other than BICUBIC instead of approximating them', async () => {
    const dir = await configDirWith({ ...cfgJson(), resample: 2 });
    await expect(loadPreprocessorConfig(dir)).rejects.toThrow(/resample 2/);
  });

  it('reports a missing file and malformed values', async () => {
    await expect(loadPreprocessorConfig(join(BLIP2_TINY, 'images'))).rejects.toThrow(
      /preprocessor_config\.json/,
    );
    const dir = await configDirWith({ ...cfgJson(), image_mean: [0.5, 0.5] });
    await expect(loadPreprocessorConfig(dir)).rejects.toThrow(/image_mean/);
  });
});

function cfgJson(): Record<string, unknown> {
  return { size: { height: 8, width: 8 }, resample: 3 };
}

describe('pixel_values', () => {
  it.each(goldenImages.map((img) => [img.name, img] as const))(
    'are bit-identical from the golden resized bytes: %s',
    (_name, img) => {
      const values = rescaleAndNormalize(goldenResized(img), cfg);
      const { indices, values: expected } = img.pixel_values.samples;
      const [, height, width] = img.pixel_values.shape;
      const got = indices.map(([c, y, x]) => values[(c * height + y) * width + x]);
      expect(got).toEqual(expected.data.map((v) => Math.fround(v)));
      expect(sha256(values)).toBe(img.pixel_values.sha256_float32_le);
    },
  );

  it.each(goldenImages.map((img) => [img.name, img] as const))(
    'are bit-identical through the full pipeline from the image file: %s',
    async (_name, img) => {
      // sharp decodes the fixture JPEG byte-identically to Pillow, so no tolerance is needed.
      const decoded = await decodeImageToRgb(`${BLIP2_TINY}${img.file}`);
      const values = preprocessImage(decoded, cfg);
      expect(values.length).toBe(img.pixel_values.shape.reduce((a, b) => a * b, 1));
      expect(sha256(values)).toBe(img.pixel_values.sha256_float32_le);
    },
  );

  it('batches images in order as NCHW', async () => {
    const decoded = await Promise.all(
      goldenImages.map((img) => decodeImageToRgb(`${BLIP2_TINY}${img.file}`)),
    );
    const { data, dims } = preprocessBatch(decoded, cfg);
    const [, height, width] = goldenImages[0]!.pixel_values.shape;
    expect(dims).toEqual([goldenImages.length, 3, height, width]);
    const per = 3 * height * width;
    goldenImages.forEach((img, i) => {
      expect(sha256(data.subarray(i * per, (i + 1) * per))).toBe(
        img.pixel_values.sha256_float32_le,
      );
    });
  });

  it('refuses an empty batch and mixed output sizes', () => {
    expect(() => preprocessBatch([], cfg)).toThrow(RangeError);
    const shortest = parsePreprocessorConfig({ size: { shortest_edge: 4 } });
    const img = (width: number, height: number) => ({
      width,
      height,
      data: new Uint8Array(width * height * 3),
    });
    expect(() => preprocessBatch([img(8, 8), img(8, 16)], shortest)).toThrow(/batch image 1/);
  });

  it('skips rescale and normalisation when disabled', () => {
    const plain = parsePreprocessorConfig({
      do_rescale: false,
      do_normalize: false,
      do_resize: false,
    });
    const img = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    expect([...preprocessImage(img, plain)]).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
