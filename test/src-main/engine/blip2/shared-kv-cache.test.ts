import { describe, expect, it } from 'vitest';
import type { KvBuffers } from '../../../../src-main/engine/blip2/shared-kv-cache.ts';
import { SharedKvCache } from '../../../../src-main/engine/blip2/shared-kv-cache.ts';

const SHAPE = { numLayers: 2, numHeads: 3, headDim: 2 };

/** Buffers whose live value at (layer, kind, row, head, position, d) names its row. */
function filled(rows: number, length: number): KvBuffers {
  const buffers = SharedKvCache.forPrefill(SHAPE, rows, length);
  buffers.layers.forEach((layer, l) => {
    (['key', 'value'] as const).forEach((kind, k) => {
      for (let r = 0; r < rows; r++)
        for (let h = 0; h < SHAPE.numHeads; h++)
          for (let p = 0; p < length; p++)
            for (let d = 0; d < SHAPE.headDim; d++)
              layer[kind][((r * SHAPE.numHeads + h) * buffers.capacity + p) * SHAPE.headDim + d] =
                1000 * r + 100 * l + 10 * k + p + d / 10 + h / 100;
    });
  });
  return buffers;
}

/** Live positions of `rows` rows, per layer and kind, row-major. */
function live(buffers: KvBuffers, rows: number, length: number): number[][] {
  return buffers.layers.flatMap((layer) =>
    (['key', 'value'] as const).map((kind) => {
      const out: number[] = [];
      for (let r = 0; r < rows; r++)
        for (let h = 0; h < SHAPE.numHeads; h++) {
          const start = (r * SHAPE.numHeads + h) * buffers.capacity * SHAPE.headDim;
          out.push(...layer[kind].subarray(start, start + length * SHAPE.headDim));
        }
      return out;
    }),
  );
}

describe('SharedKvCache', () => {
  it.each([
    ['unchanged', [0, 1, 2, 3, 4, 5]],
    ['beams rotating within photos (cycles)', [1, 2, 0, 4, 5, 3]],
    ['two beams continuing one', [0, 0, 2, 3, 3, 3]],
    ['swaps and chains', [3, 0, 1, 2, 5, 4]],
    ['finished rows leaving', [3, 5, 4]],
    ['expansion', [0, 0, 0, 1, 1, 1, 2, 2, 2]],
  ])('lays out selected rows exactly as a copy would: %s', (_name, order) => {
    const rows = 6;
    const length = 5;
    const expected = live(filled(rows, length), rows, length).map((values) => {
      const per = values.length / rows;
      return order.flatMap((from) => values.slice(from * per, (from + 1) * per));
    });
    const cache = new SharedKvCache(
      filled(rows, length),
      Array.from({ length: rows }, (_, r) => r),
      length,
    );
    const selected = cache.select(order);
    cache.dispose();
    const prepared = selected.prepare(1);
    expect(prepared.capacity).toBeGreaterThanOrEqual(length + 1);
    expect(live(prepared, order.length, length)).toEqual(expected);
  });

  it('copies instead of writing in place while another view shares the buffer', () => {
    const buffers = filled(2, 3);
    const before = live(buffers, 2, 3);
    const cache = new SharedKvCache(buffers, [0, 1], 3);
    const swapped = cache.select([1, 0]).prepare(1);
    expect(swapped).not.toBe(buffers);
    expect(live(buffers, 2, 3)).toEqual(before);
    expect(cache.prepare(1)).toBe(buffers);
  });

  it('grows the buffer when a step needs more positions than it holds', () => {
    const buffers = filled(2, 3);
    const cache = new SharedKvCache(buffers, [0, 1], 3);
    const grown = cache.prepare(buffers.capacity);
    expect(grown.capacity).toBeGreaterThanOrEqual(3 + buffers.capacity);
    expect(live(grown, 2, 3)).toEqual(live(buffers, 2, 3));
  });
});
