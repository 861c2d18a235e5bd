import type { KvCache } from '../generation/language-model.ts';
import type { Tensor } from '../runtime/tensor.ts';

/**
 * Per-layer key/value tensors [storedRows, heads, length, headDim] as the decoder graph returned
 * them, shared by every cache view made from them and released when the last view is disposed.
 */
export class KvStorage {
  private views = 1;

  constructor(
    readonly layers: readonly { key: Tensor<'float32'>; value: Tensor<'float32'> }[],
    readonly rows: number,
  ) {}

  retain(): this {
    this.views++;
    return this;
  }

  release(): void {
    if (--this.views > 0) return;
    for (const { key, value } of this.layers) {
      key.dispose();
      value.dispose();
    }
  }
}

/**
 * The `concat` layout's cache: a view of stored rows, row i being stored row `order[i]`.
 * Reordering beams only makes a new view; the decoder graph gathers the rows (`beam_idx`) where
 * it appends the new position, so no step copies the cache in JavaScript.
 */
export class ConcatKvCache implements KvCache {
  private disposed = false;

  constructor(
    readonly storage: KvStorage,
    readonly order: readonly number[],
    readonly length: number,
  ) {}

  get rows(): number {
    return this.order.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
  }

  select(indices: readonly number[]): ConcatKvCache {
    const order = indices.map((i) => {
      const stored = this.order[i];
      if (stored === undefined) throw new RangeError(`selectRows: no row ${i} in the cache`);
      return stored;
    });
    return new ConcatKvCache(this.storage.retain(), order, this.length);
  }
}
