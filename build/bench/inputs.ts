import { toFloat32, SafetensorsFile } from '../../native-models/checkpoint/safetensors.ts';

/** mulberry32 in (0, 1), never 0, so Box-Muller's log is finite. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** Seeded N(0, std) values (mulberry32 + Box-Muller): stand-ins for inputs a skipped stage would make. */
export function seededNormals(count: number, seed: number, std = 1): Float32Array {
  const uniform = seededUniform(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

/**
 * Rows of an embedding table read straight from the safetensors file (a few KB instead of the
 * 0.5 GB fp32 table, which would otherwise sit in the bench's memory next to onnxruntime's).
 */
export function readEmbeddingRows(
  safetensorsPath: string,
  tensorName: string,
  ids: readonly number[],
): Float32Array {
  const file = new SafetensorsFile(safetensorsPath);
  try {
    const info = file.tensors.get(tensorName);
    if (!info || info.shape.length !== 2)
      throw new Error(`${safetensorsPath}: no matrix named ${tensorName}`);
    const width = info.shape[1]!;
    const rowBytes = (info.end - info.begin) / info.shape[0]!;
    const out = new Float32Array(ids.length * width);
    ids.forEach((id, i) => {
      const begin = info.begin + id * rowBytes;
      out.set(
        toFloat32(file.readBytes({ ...info, begin, end: begin + rowBytes }), info.dtype),
        i * width,
      );
    });
    return out;
  } finally {
    file.close();
  }
}

export function argmaxOfLastRow(logits: Float32Array, vocab: number): number {
  const from = logits.length - vocab;
  let best = 0;
  for (let i = 1; i < vocab; i++) if (logits[from + i]! > logits[from + best]!) best = i;
  return best;
}
