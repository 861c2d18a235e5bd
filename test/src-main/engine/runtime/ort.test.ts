import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readManifest } from '../../../../src-main/engine/blip2/converted-model.ts';
import { GraphSession } from '../../../../src-main/engine/runtime/ort.ts';
import { floatTensor } from '../../../../src-main/engine/runtime/tensor.ts';
import { convertFixtures, type ConvertedFixture } from '../../../support/golden.ts';

describe('GraphSession', () => {
  let fixture: ConvertedFixture;
  beforeAll(() => {
    fixture = convertFixtures();
  });
  afterAll(() => fixture.cleanup());

  it('falls back to CPU when an accelerator cannot start, and says why', async () => {
    // This machine has no CUDA binaries for onnxruntime-node (where it does, CUDA is reported).
    const opened = await GraphSession.open(join(fixture.opt, 'vision.onnx'), {
      providers: ['cuda', 'cpu'],
      intraOpThreads: 1,
    });
    if (opened.provider === 'cpu') {
      expect(opened.fallbacks.map((f) => f.provider)).toEqual(['cuda']);
      expect(opened.fallbacks[0]!.error.length).toBeGreaterThan(0);
    } else {
      expect(opened.provider).toBe('cuda');
    }
    await opened.session.release();
  });

  it('reports a clear error for a missing graph', async () => {
    await expect(
      GraphSession.open(join(fixture.opt, 'nope.onnx'), { providers: ['cpu'], intraOpThreads: 1 }),
    ).rejects.toThrow(/could not load .*nope\.onnx/);
  });

  it('returns host tensors that can be disposed', async () => {
    const { session } = await GraphSession.open(join(fixture.opt, 'qformer.onnx'), {
      providers: ['cpu'],
      intraOpThreads: 1,
    });
    const width = readManifest(fixture.opt).graphs.qformer!.inputs[0]!.shape[2] as number;
    const out = await session.run({
      image_embeds: floatTensor(new Float32Array(2 * width), [1, 2, width]),
    });
    const queries = out.query_output!;
    expect(queries.dims[0]).toBe(1);
    queries.dispose();
    expect(() => queries.data).toThrow(/after dispose/);
    expect(() => floatTensor(new Float32Array(3), [2, 2])).toThrow(/3 values/);
    await session.release();
  });
});
