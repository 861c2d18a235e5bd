import {
  mkdtempSync,
  openSync,
  closeSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SafetensorsWriter,
  encodeFloats,
} from '../../../native-models/checkpoint/safetensors-writer.ts';
import { SafetensorsFile, toFloat32 } from '../../../native-models/checkpoint/safetensors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-st-reader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function writeFloats(
  tensors: { name: string; dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; values: Float32Array }[],
): string {
  const path = join(tmp, `t${counter++}.safetensors`);
  const w = new SafetensorsWriter(path, tensors);
  for (const t of tensors) w.write(encodeFloats(t.values, t.dtype));
  w.close();
  return path;
}

/** A hand-made file: 8-byte length, the given header text, then `data`. */
function rawFile(
  header: string,
  data: Uint8Array = new Uint8Array(0),
  declaredLength?: bigint,
): string {
  const path = join(tmp, `raw${counter++}.safetensors`);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(Buffer.byteLength(header)));
  writeFileSync(path, Buffer.concat([length, Buffer.from(header), data]));
  return path;
}

function readAll(path: string, name: string): Float32Array {
  const file = new SafetensorsFile(path);
  try {
    const info = file.tensors.get(name)!;
    return toFloat32(file.readBytes(info), info.dtype);
  } finally {
    file.close();
  }
}

function bits(values: Float32Array): number[] {
  return [...new Uint32Array(values.buffer, values.byteOffset, values.length)];
}

describe('SafetensorsFile: write → read round trips', () => {
  it('F32 keeps every bit (NaN payloads, -0, subnormals, infinities)', () => {
    const values = new Float32Array(6);
    new Uint32Array(values.buffer).set([
      0x7f800001, 0x80000000, 0x00000001, 0x7f800000, 0xff800000, 0x3dcccccd,
    ]);
    const path = writeFloats([{ name: 'x', dtype: 'F32', shape: [2, 3], values }]);
    expect(bits(readAll(path, 'x'))).toEqual(bits(values));
  });

  it('F16 stores the nearest half (ties to even, subnormals, overflow to inf) and reads it exactly', () => {
    const input = Float32Array.from([
      1,
      -2,
      65504,
      65520,
      Infinity,
      -Infinity,
      NaN,
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      0.1,
      -0,
    ]);
    const expected = [
      1,
      -2,
      65504,
      Infinity,
      Infinity,
      -Infinity,
      NaN,
      2 ** -24,
      1023 * 2 ** -24,
      0,
      1,
      1 + 2 ** -9,
      0.0999755859375,
      -0,
    ];
    const path = writeFloats([{ name: 'h', dtype: 'F16', shape: [input.length], values: input }]);
    expect([...readAll(path, 'h')]).toEqual(expected);
  });

  it('BF16 stores the nearest bfloat16 (ties to even) and reads it exactly', () => {
    const input = Float32Array.from([
      1,
      1 + 2 ** -8,
      1 + 3 * 2 ** -8,
      0.1,
      -3.5,
      1e-40,
      Infinity,
      NaN,
      -0,
    ]);
    // 1e-40 is a float32 subnormal: the nearest bfloat16 is the subnormal 2^-133.
    const expected = [1, 1, 1 + 2 ** -6, 0.10009765625, -3.5, 2 ** -133, Infinity, NaN, -0];
    const path = writeFloats([{ name: 'b', dtype: 'BF16', shape: [3, 3], values: input }]);
    expect([...readAll(path, 'b')]).toEqual(expected);
  });

  it('reads names, dtypes, shapes and metadata from the header, and F64 / integer tensors raw', () => {
    const f64 = Buffer.alloc(16);
    f64.writeDoubleLE(0.1, 0);
    f64.writeDoubleLE(-1e300, 8);
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      i: { dtype: 'I64', shape: [1, 1], data_offsets: [16, 24] },
    });
    const path = rawFile(header, Buffer.concat([f64, Buffer.from([5, 0, 0, 0, 0, 0, 0, 0])]));
    const file = new SafetensorsFile(path);
    try {
      expect(file.metadata).toEqual({ format: 'pt' });
      expect([...file.tensors.keys()]).toEqual(['d', 'i']);
      expect(file.tensors.get('i')).toMatchObject({ dtype: 'I64', shape: [1, 1] });
      expect([...toFloat32(file.readBytes(file.tensors.get('d')!), 'F64')]).toEqual([
        Math.fround(0.1),
        -Infinity,
      ]);
      expect([...file.readBytes(file.tensors.get('i')!)]).toEqual([5, 0, 0, 0, 0, 0, 0, 0]);
      expect(() => toFloat32(file.readBytes(file.tensors.get('i')!), 'I64')).toThrow(
        /cannot read I64/,
      );
    } finally {
      file.close();
    }
  });
});

describe('SafetensorsFile: lazy positional reads', () => {
  const big = new Float32Array(1 << 16).map((_, i) => i);
  const small = Float32Array.from([3, 1, 4, 1, 5]);

  it('a tensor read returns exactly that tensor', () => {
    const path = writeFloats([
      { name: 'big', dtype: 'F32', shape: [big.length], values: big },
      { name: 'small', dtype: 'F32', shape: [5], values: small },
    ]);
    const file = new SafetensorsFile(path);
    try {
      const info = file.tensors.get('small')!;
      const bytes = file.readBytes(info);
      expect(bytes.length).toBe(20);
      expect([...toFloat32(bytes, 'F32')]).toEqual([...small]);
    } finally {
      file.close();
    }
  });

  it('reads from disk when asked, not when opened: later changes are seen, a later truncation only hurts the tensors cut off', () => {
    const path = writeFloats([
      { name: 'small', dtype: 'F32', shape: [5], values: small },
      { name: 'big', dtype: 'F32', shape: [big.length], values: big },
    ]);
    const file = new SafetensorsFile(path);
    try {
      const smallInfo = file.tensors.get('small')!;
      const fd = openSync(path, 'r+');
      writeSync(
        fd,
        encodeFloats(Float32Array.from([9, 9, 9, 9, 9]), 'F32'),
        0,
        20,
        smallInfo.begin,
      );
      closeSync(fd);
      expect([...toFloat32(file.readBytes(smallInfo), 'F32')]).toEqual([9, 9, 9, 9, 9]);
      truncateSync(path, file.tensors.get('big')!.begin + 100);
      expect(toFloat32(file.readBytes(smallInfo), 'F32')[0]).toBe(9);
      expect(() => file.readBytes(file.tensors.get('big')!)).toThrow(
        /unexpected end of file reading big/,
      );
    } finally {
      file.close();
    }
    expect(() => file.readBytes(file.tensors.get('small')!)).toThrow(/already closed/);
  });
});

describe('SafetensorsFile: damaged files', () => {
  it('a truncated file names the tensor whose bytes are missing', () => {
    const path = writeFloats([
      { name: 'first', dtype: 'F32', shape: [4], values: new Float32Array(4) },
      { name: 'second', dtype: 'F32', shape: [4], values: new Float32Array(4) },
    ]);
    const dataStart = new SafetensorsFile(path);
    const cut = dataStart.tensors.get('second')!.begin + 4;
    dataStart.close();
    truncateSync(path, cut);
    expect(() => new SafetensorsFile(path)).toThrow(
      /second has inconsistent offsets \(file truncated\?\)/,
    );
  });

  it('a file shorter than the length prefix, or with an impossible header length, is not safetensors', () => {
    const tiny = join(tmp, 'tiny.safetensors');
    writeFileSync(tiny, Buffer.from([1, 2, 3]));
    expect(() => new SafetensorsFile(tiny)).toThrow(/shorter than its 8-byte header length/);
    expect(() => new SafetensorsFile(rawFile('{}', undefined, 1000n))).toThrow(
      /header length 1000 is invalid/,
    );
    expect(() => new SafetensorsFile(rawFile('{}', undefined, 0n))).toThrow(
      /header length 0 is invalid/,
    );
  });

  it('a header that is not JSON, an unknown dtype, or offsets that disagree with the shape are rejected', () => {
    expect(() => new SafetensorsFile(rawFile('{"a": [1, 2'))).toThrow(/header is not valid JSON/);
    const fp8 = rawFile(
      JSON.stringify({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }),
      new Uint8Array(2),
    );
    expect(() => new SafetensorsFile(fp8)).toThrow(/tensor w has unsupported dtype F8_E4M3/);
    const wrong = rawFile(
      JSON.stringify({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }),
      new Uint8Array(12),
    );
    expect(() => new SafetensorsFile(wrong)).toThrow(/tensor w has inconsistent offsets/);
  });
});
