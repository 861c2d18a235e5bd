import { describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT_VERSION, manifestSchema } from '../../native-models/manifest.ts';

const graph = {
  file: 'vision.onnx',
  dataFile: 'vision.onnx.data',
  inputs: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, 224, 224] }],
  outputs: [{ name: 'image_embeds', dtype: 'float32', shape: ['batch', 257, 1408] }],
};

const common = {
  format: 'sightline-onnx',
  architecture: 'Blip2ForImageTextRetrieval',
  source: { dir: '/m', repoId: 'Salesforce/blip2-itm-vit-g', revision: 'abc', weightsDtype: 'F32' },
  visionFingerprint: 'f'.repeat(64),
  numQueryTokens: 32,
  imageSize: 224,
  imageTokenIndex: null,
  text: null,
  qformerMaxTextLength: 35,
  copiedFiles: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  converterVersion: '1',
};

describe('manifest versions', () => {
  it('reads a version-1 manifest (float32 graphs) as an fp32 conversion', () => {
    const parsed = manifestSchema.parse({
      ...common,
      formatVersion: 1,
      computeDtype: 'float32',
      graphs: { vision: graph },
    });
    expect(parsed.formatVersion).toBe(MANIFEST_FORMAT_VERSION);
    expect(parsed.precision).toBe('fp32');
    expect(parsed.graphs.vision!.format).toEqual({
      linear: 'fp32',
      table: 'fp32',
      activations: 'fp32',
    });
    expect('computeDtype' in parsed).toBe(false);
  });

  it('reads the precision and per-graph formats of the current version', () => {
    const format = { linear: 'dynamic-int8', table: 'fp32', activations: 'fp32' };
    const parsed = manifestSchema.parse({
      ...common,
      formatVersion: MANIFEST_FORMAT_VERSION,
      precision: 'int4',
      graphs: { vision: { ...graph, format } },
    });
    expect(parsed.precision).toBe('int4');
    expect(parsed.graphs.vision!.format).toEqual(format);
  });

  it('refuses an unknown precision and a version-1 manifest claiming another compute type', () => {
    const current = { ...common, formatVersion: MANIFEST_FORMAT_VERSION, graphs: {} };
    expect(manifestSchema.safeParse({ ...current, precision: 'int2' }).success).toBe(false);
    expect(
      manifestSchema.safeParse({ ...common, formatVersion: 1, computeDtype: 'float16', graphs: {} })
        .success,
    ).toBe(false);
  });
});
