import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';

const ALIGNMENT = 64;

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
    const padding = (ALIGNMENT - (this.offset % ALIGNMENT)) % ALIGNMENT;
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
