import { closeSync, openSync, writeSync } from 'node:fs';
import type { SafetensorsDtype } from './safetensors.ts';

export interface TensorDeclaration {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

const BYTES: Partial<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2, I64: 8, U8: 1 };

/**
 * Writes a .safetensors file tensor by tensor: the header (all names, shapes, offsets) is laid out
 * from declarations first, then each tensor's bytes are appended in declaration order, so a
 * multi-gigabyte checkpoint can be produced without holding it in memory.
 */
export class SafetensorsWriter {
  private fd: number | undefined;
  private next = 0;
  private readonly sizes: number[];

  constructor(
    readonly path: string,
    private readonly tensors: readonly TensorDeclaration[],
    metadata: Record<string, string> = { format: 'pt' },
  ) {
    const header: Record<string, unknown> = { __metadata__: metadata };
    let offset = 0;
    this.sizes = tensors.map((t) => {
      const bytes = BYTES[t.dtype];
      if (bytes === undefined) throw new Error(`cannot write dtype ${t.dtype}`);
      const size = t.shape.reduce((a, b) => a * b, 1) * bytes;
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
      offset += size;
      return size;
    });
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    this.fd = openSync(path, 'w');
    writeSync(this.fd, length);
    writeSync(this.fd, json);
  }

  /** Appends the next declared tensor's raw little-endian bytes. */
  write(bytes: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path}: already closed`);
    const declared = this.tensors[this.next];
    if (!declared) throw new Error(`${this.path}: more tensors written than declared`);
    if (bytes.byteLength !== this.sizes[this.next]) {
      throw new Error(
        `${declared.name}: ${bytes.byteLength} bytes written, ${this.sizes[this.next]} declared`,
      );
    }
    let done = 0;
    while (done < bytes.length)
      done += writeSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    this.next++;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (this.next !== this.tensors.length) {
      throw new Error(
        `${this.path}: ${this.tensors.length - this.next} declared tensors were never written`,
      );
    }
  }
}

/** float32 → IEEE half (round to nearest even), for writing fp16 checkpoints. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half;
  return sign | e;
}

/** float32 values → bytes of the given float dtype (bf16 rounds to nearest even). */
export function encodeFloats(values: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  if (dtype === 'F16') {
    for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]!);
  } else {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < values.length; i++) {
      const b = bits[i]!;
      // A NaN must stay NaN: rounding a payload held only in the low bits would give inf or -0.
      out[i] =
        (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  return new Uint8Array(out.buffer);
}
