import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The tensor dtypes a Hugging Face checkpoint may hold, as spelled in safetensors headers. */
export type SafetensorsDtype =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte range inside the file. */
  readonly begin: number;
  readonly end: number;
  readonly file: string;
}

interface RawHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Reads a .safetensors header and serves tensors on demand with positional reads, so a 15 GB
 * checkpoint never has to be in memory at once (only the tensor being converted).
 */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    const fileSize = fstatSync(this.fd).size;
    const lengthBytes = Buffer.alloc(8);
    if (readSync(this.fd, lengthBytes, 0, 8, 0) !== 8) {
      throw new Error(`${path}: not a safetensors file (shorter than its 8-byte header length)`);
    }
    const headerLength = Number(lengthBytes.readBigUInt64LE(0));
    if (headerLength <= 0 || 8 + headerLength > fileSize || headerLength > 100_000_000) {
      throw new Error(`${path}: not a safetensors file (header length ${headerLength} is invalid)`);
    }
    const headerBytes = Buffer.alloc(headerLength);
    readSync(this.fd, headerBytes, 0, headerLength, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${path}: safetensors header is not valid JSON (${String(error)})`, {
        cause: error,
      });
    }
    const dataStart = 8 + headerLength;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        metadata = (value ?? {}) as Record<string, string>;
        continue;
      }
      const entry = value as RawHeaderEntry;
      if (!(entry.dtype in BYTES_PER_ELEMENT)) {
        throw new Error(`${path}: tensor ${name} has unsupported dtype ${entry.dtype}`);
      }
      const dtype = entry.dtype as SafetensorsDtype;
      const [from, to] = entry.data_offsets;
      const elements = entry.shape.reduce((a, b) => a * b, 1);
      if (to - from !== elements * BYTES_PER_ELEMENT[dtype] || dataStart + to > fileSize) {
        throw new Error(`${path}: tensor ${name} has inconsistent offsets (file truncated?)`);
      }
      tensors.set(name, {
        name,
        dtype,
        shape: entry.shape,
        begin: dataStart + from,
        end: dataStart + to,
        file: path,
      });
    }
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Raw little-endian bytes of one tensor, read from disk now. */
  readBytes(info: TensorInfo): Buffer {
    if (this.fd === undefined) throw new Error(`${this.path}: already closed`);
    const length = info.end - info.begin;
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      // readSync caps a single read at 2 GiB; loop so large embedding tables read whole.
      const chunk = Math.min(length - done, 1 << 30);
      const n = readSync(this.fd, out, done, chunk, info.begin + done);
      if (n <= 0) throw new Error(`${this.path}: unexpected end of file reading ${info.name}`);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Converts stored values to float32, exactly (fp16 and bf16 are subsets of fp32). Little-endian host assumed, as on every platform Electron ships. */
export function toFloat32(bytes: Buffer, dtype: SafetensorsDtype): Float32Array {
  const count = bytes.length / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      new Uint8Array(out.buffer).set(bytes);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = bytes.readDoubleLE(i * 8);
      return out;
    case 'F16': {
      const halves = new Uint16Array(count);
      new Uint8Array(halves.buffer).set(bytes);
      for (let i = 0; i < count; i++) out[i] = HALF_TABLE[halves[i]!]!;
      return out;
    }
    case 'BF16': {
      const halves = new Uint16Array(count);
      new Uint8Array(halves.buffer).set(bytes);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
      return out;
    }
    default:
      throw new Error(`cannot read ${dtype} tensor as floating point`);
  }
}

const HALF_TABLE = buildHalfTable();

function buildHalfTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) table[h] = sign * fraction * 2 ** -24;
    else if (exponent === 31) table[h] = fraction ? NaN : sign * Infinity;
    else table[h] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

export function halfToFloat(bits: number): number {
  return HALF_TABLE[bits] ?? NaN;
}
