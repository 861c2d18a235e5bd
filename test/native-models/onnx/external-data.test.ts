import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExternalDataWriter } from '../../../native-models/onnx/external-data.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-external-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ExternalDataWriter', () => {
  it('starts tensors from 1 MiB on 64 KiB boundaries (memory-mappable) and small ones on 64 bytes', () => {
    const path = join(tmp, 'graph.onnx.data');
    const writer = new ExternalDataWriter(path);
    const small = new Uint8Array(100).fill(1);
    const large = new Uint8Array(1 << 20).fill(2);
    const places = [small, large, small, small, large].map((bytes) => writer.append(bytes));
    writer.close();
    const afterLarge = 65536 + (1 << 20);
    // 100 bytes round up to 128; the second large tensor goes to the next multiple of 65536.
    expect(places.map((p) => p.offset)).toEqual([
      0,
      65536,
      afterLarge,
      afterLarge + 128,
      18 * 65536,
    ]);
    const file = readFileSync(path);
    for (const [i, bytes] of [small, large, small, small, large].entries()) {
      const { offset, length } = places[i]!;
      expect(file.subarray(offset, offset + length).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});
