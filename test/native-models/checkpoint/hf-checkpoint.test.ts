import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HfCheckpoint } from '../../../native-models/checkpoint/hf-checkpoint.ts';
import {
  SafetensorsWriter,
  encodeFloats,
} from '../../../native-models/checkpoint/safetensors-writer.ts';
import type { TensorInfo } from '../../../native-models/checkpoint/safetensors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-hf-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

interface Spec {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  values: number[];
  shape?: number[];
}

function writeShard(path: string, tensors: Spec[]): void {
  const w = new SafetensorsWriter(
    path,
    tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape ?? [t.values.length] })),
  );
  for (const t of tensors) w.write(encodeFloats(Float32Array.from(t.values), t.dtype));
  w.close();
}

function folder(config: Record<string, unknown> | null = { model_type: 'test' }): string {
  const dir = join(tmp, `m${counter++}`);
  mkdirSync(dir);
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function singleFile(tensors: Spec[]): string {
  const dir = folder();
  writeShard(join(dir, 'model.safetensors'), tensors);
  return dir;
}

function sharded(shards: Spec[][], { dropShard }: { dropShard?: number } = {}): string {
  const dir = folder();
  const weightMap: Record<string, string> = {};
  shards.forEach((tensors, i) => {
    const file = `model-0000${i + 1}-of-0000${shards.length}.safetensors`;
    for (const t of tensors) weightMap[t.name] = file;
    writeShard(join(dir, file), tensors);
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
  );
  if (dropShard !== undefined)
    unlinkSync(join(dir, `model-0000${dropShard}-of-0000${shards.length}.safetensors`));
  return dir;
}

describe('HfCheckpoint', () => {
  it('reads the config and tensors as float32, checking shapes, and reports each read', () => {
    const dir = singleFile([
      { name: 'w', dtype: 'F16', values: [1, -0.5, 2, 0.25, 3, 65504], shape: [2, 3] },
      { name: 'b', dtype: 'BF16', values: [1.5, -8] },
    ]);
    const ckpt = new HfCheckpoint(dir);
    const reads: TensorInfo[] = [];
    ckpt.onRead = (info) => reads.push(info);
    try {
      expect(ckpt.config).toEqual({ model_type: 'test' });
      expect(ckpt.tensorNames.sort()).toEqual(['b', 'w']);
      expect(ckpt.has('w')).toBe(true);
      expect(ckpt.has('nope')).toBe(false);
      const w = ckpt.read('w', [2, 3]);
      expect(w).toMatchObject({ name: 'w', shape: [2, 3], storedDtype: 'F16' });
      expect([...w.data]).toEqual([1, -0.5, 2, 0.25, 3, 65504]);
      expect([...ckpt.read('b').data]).toEqual([1.5, -8]);
      expect(reads.map((r) => r.name)).toEqual(['w', 'b']);
      expect(ckpt.readRaw('b').length).toBe(4);
      expect(ckpt.totalBytes()).toBe(12 + 4);
      expect(ckpt.dominantDtype()).toBe('F16');
    } finally {
      ckpt.close();
    }
  });

  it('a missing tensor or a shape the config does not imply is an error naming the tensor', () => {
    const ckpt = new HfCheckpoint(
      singleFile([{ name: 'present', dtype: 'F32', values: [1, 2, 3, 4], shape: [2, 2] }]),
    );
    try {
      expect(() => ckpt.read('qformer.layernorm.weight')).toThrow(
        /checkpoint has no tensor named qformer\.layernorm\.weight/,
      );
      expect(() => ckpt.info('absent.bias')).toThrow(/no tensor named absent\.bias/);
      expect(() => ckpt.readRaw('absent.raw')).toThrow(/no tensor named absent\.raw/);
      expect(() => ckpt.read('present', [4])).toThrow(
        /tensor present has shape \[2, 2\], config implies \[4\]/,
      );
    } finally {
      ckpt.close();
    }
  });

  it('tracks which tensors were used, so unmapped ones are reported by name', () => {
    const ckpt = new HfCheckpoint(
      singleFile([
        { name: 'used', dtype: 'F32', values: [1] },
        { name: 'tied', dtype: 'F32', values: [2] },
        { name: 'mystery.weight', dtype: 'F32', values: [3] },
      ]),
    );
    try {
      ckpt.read('used');
      ckpt.markUsed('tied');
      ckpt.markUsed('not-in-checkpoint');
      expect(() => ckpt.assertAllConsumed()).toThrow(
        /1 checkpoint tensor\(s\) are not mapped by the converter: mystery\.weight$/,
      );
      ckpt.read('mystery.weight');
      expect(() => ckpt.assertAllConsumed()).not.toThrow();
    } finally {
      ckpt.close();
    }
  });

  it('dominantDtype counts bytes, not tensors', () => {
    const ckpt = new HfCheckpoint(
      singleFile([
        { name: 'a', dtype: 'F32', values: [1] },
        { name: 'b', dtype: 'F32', values: [1] },
        { name: 'big', dtype: 'BF16', values: new Array<number>(10).fill(1) },
      ]),
    );
    expect(ckpt.dominantDtype()).toBe('BF16');
    ckpt.close();
  });
});

describe('HfCheckpoint: sharded checkpoints', () => {
  it('serves tensors from every shard listed in model.safetensors.index.json', () => {
    const dir = sharded([
      [{ name: 'first', dtype: 'F32', values: [1, 2] }],
      [
        { name: 'second', dtype: 'F16', values: [3] },
        { name: 'third', dtype: 'F32', values: [4] },
      ],
    ]);
    const ckpt = new HfCheckpoint(dir);
    try {
      expect(ckpt.tensorNames.sort()).toEqual(['first', 'second', 'third']);
      expect([...ckpt.read('first').data]).toEqual([1, 2]);
      expect([...ckpt.read('second').data]).toEqual([3]);
      expect(ckpt.info('third').file).toBe(join(dir, 'model-00002-of-00002.safetensors'));
    } finally {
      ckpt.close();
    }
  });

  it('a shard listed in the index but absent is an error naming that shard', () => {
    const dir = sharded(
      [[{ name: 'a', dtype: 'F32', values: [1] }], [{ name: 'b', dtype: 'F32', values: [2] }]],
      { dropShard: 2 },
    );
    expect(() => new HfCheckpoint(dir)).toThrow(
      /shard model-00002-of-00002\.safetensors listed in the index is missing/,
    );
  });

  it('an empty weight map, or one tensor in two shards, is an error', () => {
    const empty = folder();
    writeFileSync(join(empty, 'model.safetensors.index.json'), JSON.stringify({ weight_map: {} }));
    expect(() => new HfCheckpoint(empty)).toThrow(/weight_map is empty/);
    const twice = sharded([
      [{ name: 'dup', dtype: 'F32', values: [1] }],
      [{ name: 'dup', dtype: 'F32', values: [2] }],
    ]);
    // The index can only name one file per tensor; the duplicate is found in the shard headers.
    writeFileSync(
      join(twice, 'model.safetensors.index.json'),
      JSON.stringify({
        weight_map: {
          dup: 'model-00001-of-00002.safetensors',
          other: 'model-00002-of-00002.safetensors',
        },
      }),
    );
    expect(() => new HfCheckpoint(twice)).toThrow(/tensor dup appears in two shards/);
  });
});

describe('HfCheckpoint: folders that are not safetensors checkpoints', () => {
  it('no config.json', () => {
    const dir = folder(null);
    writeShard(join(dir, 'model.safetensors'), [{ name: 'a', dtype: 'F32', values: [1] }]);
    expect(() => new HfCheckpoint(dir)).toThrow(/no config\.json/);
  });

  it('only PyTorch .bin weights: says so and how to get safetensors', () => {
    const dir = folder();
    writeFileSync(join(dir, 'pytorch_model.bin'), Buffer.from('PK'));
    expect(() => new HfCheckpoint(dir)).toThrow(/only PyTorch \.bin weights found.*safetensors/);
  });

  it('no weights at all', () => {
    expect(() => new HfCheckpoint(folder())).toThrow(
      /no model\.safetensors or model\.safetensors\.index\.json/,
    );
  });
});
