import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
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
    const { session } = await GraphSession.open(join(fixture.opt, 'embed_tokens.onnx'), {
      providers: ['cpu'],
      intraOpThreads: 1,
    });
    const { int64Tensor } = await import('../../../../src-main/engine/runtime/tensor.ts');
    const out = await session.run({ input_ids: int64Tensor([[2, 5]]) });
    const embeds = out.inputs_embeds!;
    expect(embeds.dims.slice(0, 2)).toEqual([1, 2]);
    embeds.dispose();
    expect(() => embeds.data).toThrow(/after dispose/);
    expect(() => floatTensor(new Float32Array(3), [2, 2])).toThrow(/3 values/);
    await session.release();
  });
});
