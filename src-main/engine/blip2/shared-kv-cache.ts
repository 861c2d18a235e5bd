import type { KvCache } from '../generation/language-model.ts';
import { floatTensor, type Tensor } from '../runtime/tensor.ts';

/** Positions added beyond what a step needs when a buffer is (re)allocated. */
const CAPACITY_MARGIN = 16;

export interface KvShape {
  numLayers: number;
  numHeads: number;
  headDim: number;
}

/**
 * Keys and values of every layer, [rows, heads, capacity, headDim] each, that the decoder graph
 * reads and extends in place (GroupQueryAttention with past and present sharing the buffer).
 * `views` counts the live caches over it: one writer at a time, a second view copies first.
 */
export class KvBuffers {
  views = 1;
  readonly layers: { key: Float32Array; value: Float32Array }[];

  constructor(
    readonly shape: KvShape,
    readonly rows: number,
    readonly capacity: number,
  ) {
    const size = rows * shape.numHeads * capacity * shape.headDim;
    this.layers = Array.from({ length: shape.numLayers }, () => ({
      key: new Float32Array(size),
      value: new Float32Array(size),
    }));
  }

  /** Floats of one row (all heads, whole capacity). */
  get rowSize(): number {
    return this.shape.numHeads * this.capacity * this.shape.headDim;
  }

  /** The first `rows` rows of every layer as graph tensors, named as the graph's inputs. */
  tensors(rows: number, prefix: string): Record<string, Tensor> {
    const { numHeads, headDim } = this.shape;
    const dims = [rows, numHeads, this.capacity, headDim];
    const out: Record<string, Tensor> = {};
    this.layers.forEach(({ key, value }, i) => {
      out[`${prefix}.${i}.key`] = floatTensor(key.subarray(0, rows * this.rowSize), dims);
      out[`${prefix}.${i}.value`] = floatTensor(value.subarray(0, rows * this.rowSize), dims);
    });
    return out;
  }
}

/** Copies the first `length` positions of row `from` (every head) to row `to` of `target`. */
function copyLive(
  source: Float32Array,
  sourceCapacity: number,
  from: number,
  target: Float32Array,
  targetCapacity: number,
  to: number,
  shape: KvShape,
  length: number,
): void {
  const { numHeads, headDim } = shape;
  for (let h = 0; h < numHeads; h++) {
    const start = (from * numHeads + h) * sourceCapacity * headDim;
    target.set(
      source.subarray(start, start + length * headDim),
      (to * numHeads + h) * targetCapacity * headDim,
    );
  }
}

/**
 * A KV cache whose row i is buffer row `order[i]`. Selecting rows (beam reordering, expansion,
 * finished rows leaving) only makes a new view; `prepare` lays the rows out for the next step,
 * moving only rows that changed place, in the buffer itself when no other view shares it.
 */
export class SharedKvCache implements KvCache {
  private consumed = false;

  constructor(
    private readonly buffers: KvBuffers,
    readonly order: readonly number[],
    readonly length: number,
  ) {}

  static forPrefill(shape: KvShape, rows: number, positions: number): KvBuffers {
    return new KvBuffers(shape, rows, positions + CAPACITY_MARGIN);
  }

  get rows(): number {
    return this.order.length;
  }

  dispose(): void {
    if (this.consumed) return;
    this.consumed = true;
    this.buffers.views--;
  }

  select(indices: readonly number[]): SharedKvCache {
    const order = indices.map((i) => {
      const row = this.order[i];
      if (row === undefined) throw new RangeError(`selectRows: no row ${i} in the cache`);
      return row;
    });
    if (this.consumed) throw new Error('KV cache used after it was consumed');
    this.buffers.views++;
    return new SharedKvCache(this.buffers, order, this.length);
  }

  /**
   * Consumes this view: buffers with row i = this cache's row i and room for `added` more
   * positions, owned by the caller (one view).
   */
  prepare(added: number): KvBuffers {
    if (this.consumed) throw new Error('KV cache used after it was consumed');
    const { buffers, order, length } = this;
    this.consumed = true;
    const fits = length + added <= buffers.capacity && order.length <= buffers.rows;
    if (buffers.views === 1 && fits) {
      reorderInPlace(buffers, order, length);
      return buffers;
    }
    const capacity = Math.max(buffers.capacity, length + added + CAPACITY_MARGIN);
    const fresh = new KvBuffers(buffers.shape, order.length, capacity);
    fresh.layers.forEach((layer, i) => {
      const old = buffers.layers[i]!;
      order.forEach((from, to) => {
        for (const kind of ['key', 'value'] as const)
          copyLive(
            old[kind],
            buffers.capacity,
            from,
            layer[kind],
            capacity,
            to,
            buffers.shape,
            length,
          );
      });
    });
    buffers.views--;
    return fresh;
  }
}

/**
 * Puts row order[i] at row i for every i, copying only rows that move: a row is overwritten once
 * every row copied from it has been copied, so only a cycle of moves (beams swapping places)
 * saves one row aside.
 */
function reorderInPlace(buffers: KvBuffers, order: readonly number[], length: number): void {
  const pending = new Set(order.flatMap((from, to) => (from === to ? [] : [to])));
  if (pending.size === 0) return;
  const readers = new Map<number, number>();
  for (const to of pending) readers.set(order[to]!, (readers.get(order[to]!) ?? 0) + 1);
  const { capacity, shape } = buffers;
  const copyRow = (from: { rows: KvBuffers['layers']; row: number }, to: number): void => {
    buffers.layers.forEach((layer, i) => {
      for (const kind of ['key', 'value'] as const)
        copyLive(from.rows[i]![kind], capacity, from.row, layer[kind], capacity, to, shape, length);
    });
  };
  const saved = new Map<number, KvBuffers['layers']>();
  const ready = [...pending].filter((to) => !readers.has(to));
  while (pending.size > 0) {
    let to = ready.pop();
    if (to === undefined) {
      // Only cycles are left: set one member's row aside, then its slot is free.
      const start = pending.values().next().value!;
      saved.set(start, snapshotRow(buffers, start, length));
      readers.delete(start);
      to = start;
    }
    const from = order[to]!;
    const source = saved.get(from);
    copyRow(source ? { rows: source, row: 0 } : { rows: buffers.layers, row: from }, to);
    pending.delete(to);
    const left = (readers.get(from) ?? 0) - 1;
    if (left > 0) readers.set(from, left);
    else {
      readers.delete(from);
      if (pending.has(from)) ready.push(from);
    }
  }
}

/** The live positions of one row of every layer, as a one-row copy with the same capacity. */
function snapshotRow(buffers: KvBuffers, row: number, length: number): KvBuffers['layers'] {
  const { capacity, shape } = buffers;
  return buffers.layers.map((layer) => {
    const copy = {
      key: new Float32Array(buffers.rowSize),
      value: new Float32Array(buffers.rowSize),
    };
    for (const kind of ['key', 'value'] as const)
      copyLive(layer[kind], capacity, row, copy[kind], capacity, 0, shape, length);
    return copy;
  });
}
