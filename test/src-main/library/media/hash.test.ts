import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../../../src-main/library/media/hash.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hashFile', () => {
  it('streams SHA-256 and size of files larger than one read chunk', async () => {
    const path = join(dir, 'big.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    await writeFile(path, bytes);
    const expected = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    expect(await hashFile(path)).toEqual({ sha256: expected, size: bytes.length });
  });

  it('hashes an empty file and rejects a missing one', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '');
    expect(await hashFile(path)).toEqual({
      sha256: createHash('sha256').digest('hex'),
      size: 0,
    });
    await expect(hashFile(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
