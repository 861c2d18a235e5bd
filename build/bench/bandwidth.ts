import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GraphBuilder } from '../../native-models/onnx/graph-builder.ts';
import { ElemType } from '../../native-models/onnx/proto.ts';
import { GraphSession } from '../../src-main/engine/runtime/ort.ts';
import { floatTensor } from '../../src-main/engine/runtime/tensor.ts';

export interface Bandwidth {
  /** Bytes read per second, best of the timed runs. */
  bytesPerSecond: number;
  arrayBytes: number;
  how: string;
}

/**
 * The machine's read bandwidth as onnxruntime sees it: a ReduceSum over an array far larger than
 * any cache, best of `reps` runs after a warm-up. A decode step that reads every weight once
 * cannot be faster than weight bytes ÷ this.
 */
export async function measureReadBandwidth(
  workDir: string,
  arrayBytes: number,
  threads: number,
  reps = 5,
): Promise<Bandwidth> {
  const path = join(workDir, 'bandwidth.onnx');
  const g = new GraphBuilder('bandwidth', `${path}.data`);
  const x = g.input('x', ElemType.FLOAT, ['n']);
  g.output(g.op('ReduceSum', [x], '/sum', { keepdims: 0 }), 'sum', ElemType.FLOAT, []);
  g.save(path, 'bench:engine read bandwidth');
  const { session } = await GraphSession.open(path, {
    providers: ['cpu'],
    intraOpThreads: threads,
  });
  try {
    const values = new Float32Array(arrayBytes / 4).fill(1);
    const feeds = { x: floatTensor(values, [values.length]) };
    let best = Infinity;
    for (let r = 0; r <= reps; r++) {
      const begin = performance.now();
      const outputs = await session.run(feeds);
      const ms = performance.now() - begin;
      for (const t of Object.values(outputs)) t.dispose();
      if (r > 0) best = Math.min(best, ms);
    }
    return {
      bytesPerSecond: values.byteLength / (best / 1000),
      arrayBytes: values.byteLength,
      how: `onnxruntime ReduceSum over ${(values.byteLength / 2 ** 20).toFixed(0)} MiB, ${threads} threads, best of ${reps}`,
    };
  } finally {
    await session.release();
  }
}
