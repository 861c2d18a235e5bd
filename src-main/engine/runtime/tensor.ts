/** Element types Sightline's graphs exchange with the runtime. */
export type TensorType = 'float32' | 'int64';

export type TensorData<T extends TensorType> = T extends 'float32' ? Float32Array : BigInt64Array;

/**
 * A host tensor independent of onnxruntime, so everything above `ort.ts` stays testable without it.
 * dispose() releases the backing storage early (the big KV caches); using it afterwards throws.
 */
export class Tensor<T extends TensorType = TensorType> {
  private payload: TensorData<T> | undefined;
  private readonly release: (() => void) | undefined;

  constructor(
    readonly type: T,
    data: TensorData<T>,
    readonly dims: readonly number[],
    release?: () => void,
  ) {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(
        `tensor data has ${data.length} values, dims [${dims.join(', ')}] need ${expected}`,
      );
    }
    this.payload = data;
    this.release = release;
  }

  get data(): TensorData<T> {
    if (!this.payload) throw new Error('tensor used after dispose()');
    return this.payload;
  }

  get disposed(): boolean {
    return this.payload === undefined;
  }

  dispose(): void {
    if (!this.payload) return;
    this.payload = undefined;
    this.release?.();
  }
}

export function floatTensor(data: Float32Array, dims: readonly number[]): Tensor<'float32'> {
  return new Tensor('float32', data, dims);
}

export function int64Tensor(
  values: readonly number[] | readonly (readonly number[])[],
  dims?: readonly number[],
): Tensor<'int64'> {
  const flat: number[] = (values as readonly (number | readonly number[])[]).flat();
  const shape =
    dims ??
    (Array.isArray(values[0])
      ? [values.length, (values[0] as readonly number[]).length]
      : [values.length]);
  return new Tensor(
    'int64',
    BigInt64Array.from(flat, (v) => BigInt(v)),
    shape,
  );
}

/** A [rows][cols] 0/1 matrix as float32 (the Q-Former's mask input). */
export function maskTensor(mask: readonly (readonly number[])[]): Tensor<'float32'> {
  const cols = mask[0]?.length ?? 0;
  return new Tensor('float32', Float32Array.from(mask.flat()), [mask.length, cols]);
}
