import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../src-main/engine/runtime/tensor.ts';

/**
 * How tensors travel between the bench and the Python reference: a folder with `bundle.json`
 * ({ name: { dtype, shape, file } }) and one raw little-endian file per tensor, read by
 * build/bench/reference_stage.py with numpy.fromfile.
 */
interface BundleEntry {
  dtype: 'float32' | 'int64';
  shape: number[];
  file: string;
}

export interface FloatArray {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export function writeBundle(dir: string, tensors: Readonly<Record<string, Tensor>>): void {
  mkdirSync(dir, { recursive: true });
  const index: Record<string, BundleEntry> = {};
  // Tensors sharing one array (the bench's per-layer caches) share one file.
  const files = new Map<ArrayBufferView, string>();
  Object.entries(tensors).forEach(([name, tensor], i) => {
    const data = tensor.data;
    let file = files.get(data);
    if (!file) {
      file = `${i}.bin`;
      writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      files.set(data, file);
    }
    index[name] = { dtype: tensor.type, shape: [...tensor.dims], file };
  });
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(index));
}

/** The float32 tensors of a bundle written by the reference. */
export function readFloatBundle(dir: string): Record<string, FloatArray> {
  const index = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as Record<
    string,
    BundleEntry
  >;
  const out: Record<string, FloatArray> = {};
  for (const [name, entry] of Object.entries(index)) {
    if (entry.dtype !== 'float32') continue;
    const bytes = readFileSync(join(dir, entry.file));
    const data = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(data.buffer).set(bytes);
    out[name] = { dims: entry.shape, data };
  }
  return out;
}
