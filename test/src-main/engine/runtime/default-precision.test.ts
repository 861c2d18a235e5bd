import { describe, expect, it } from 'vitest';
import { defaultPrecisionFor } from '../../../../native-models/builder/precision.ts';
import { resolvePrecision } from '../../../../src-main/engine/runtime/default-precision.ts';
import { firstWorkingProvider } from '../../../../src-main/engine/runtime/ort.ts';

describe('--precision auto', () => {
  it('is int4 on CPU and fp16 on every GPU provider', () => {
    expect(defaultPrecisionFor('cpu')).toBe('int4');
    for (const gpu of ['cuda', 'dml', 'coreml', 'webgpu'])
      expect(defaultPrecisionFor(gpu)).toBe('fp16');
  });

  it('keeps an explicit precision without probing', async () => {
    expect(await resolvePrecision('fp32', ['cuda', 'cpu'])).toEqual({
      precision: 'fp32',
      provider: null,
    });
  });

  it('follows the first provider that starts: CoreML cannot off macOS, so CPU → int4', async () => {
    if (process.platform === 'darwin') return;
    expect(await firstWorkingProvider(['coreml', 'cpu'])).toBe('cpu');
    expect(await resolvePrecision('auto', ['coreml', 'cpu'])).toEqual({
      precision: 'int4',
      provider: 'cpu',
    });
  });
});
