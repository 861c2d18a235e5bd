import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

/** Every tensor starts on a cache line. */
const ALIGNMENT = 64;
/**
 * onnxruntime memory-maps an external initializer (instead of reading it into fresh memory) when
 * its offset is a multiple of the allocation granularity: 4 KiB on Linux and macOS, 64 KiB on
 * Windows. Tensors from 1 MiB up (ORT's own threshold when it saves external data) start on a
 * 64 KiB boundary, so one file maps on every platform; the padding costs < 64 KiB per such tensor.
 */
const MAP_ALIGNMENT = 65536;
const MAP_ALIGNMENT_THRESHOLD = 1 << 20;

/**
 * Appends initializer bytes to one `<model>.onnx.data` file as they are produced, so converting a
 * multi-gigabyte checkpoint never holds more than one tensor in memory, and models over protobuf's
 * 2 GB limit load.
 */
export class ExternalDataWriter {
  readonly location: string;
  private fd: number | undefined;
  private offset = 0;

  constructor(readonly path: string) {
    this.location = basename(path);
    // A new file, never a truncated old one: the old one may be hard-linked into another model
    // folder (shared vision weights), whose copy must survive this conversion.
    rmSync(path, { force: true });
    this.fd = openSync(path, 'w');
  }

  get bytesWritten(): number {
    return this.offset;
  }

  /** Writes the bytes and returns where they are, for the TensorProto's external_data entries. */
  append(bytes: Uint8Array): { offset: number; length: number } {
    if (this.fd === undefined) throw new Error(`${this.path}: already closed`);
    const alignment = bytes.length >= MAP_ALIGNMENT_THRESHOLD ? MAP_ALIGNMENT : ALIGNMENT;
    const padding = (alignment - (this.offset % alignment)) % alignment;
    if (padding > 0) {
      writeSync(this.fd, Buffer.alloc(padding));
      this.offset += padding;
    }
    const at = this.offset;
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    }
    this.offset += bytes.length;
    return { offset: at, length: bytes.length };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
