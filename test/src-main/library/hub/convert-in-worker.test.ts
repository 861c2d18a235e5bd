import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  convertCheckpoint,
  type ConvertProgress,
} from '../../../../native-models/builder/convert.ts';
import { convertCheckpointInWorker } from '../../../../src-main/library/hub/convert-in-worker.ts';
import { FIXTURE_DIR } from '../../../support/golden.ts';

const work = mkdtempSync(join(tmpdir(), 'sightline-convert-worker-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('convertCheckpointInWorker', () => {
  it('produces what the synchronous conversion produces, reporting progress', async () => {
    const progress: ConvertProgress[] = [];
    const options = { repoId: 'org/tiny', revision: 'abc' };
    const inWorker = await convertCheckpointInWorker(join(FIXTURE_DIR, 'itm'), join(work, 'w'), {
      ...options,
      onProgress: (p) => progress.push(p),
    });
    const direct = convertCheckpoint(join(FIXTURE_DIR, 'itm'), join(work, 'd'), options);
    expect(inWorker.outDir).toBe(join(work, 'w'));
    expect({ ...inWorker.manifest, createdAt: null }).toEqual({
      ...direct.manifest,
      createdAt: null,
    });
    const files = Object.values(direct.manifest.graphs).flatMap((g) => [g.file, g.dataFile]);
    for (const file of files) {
      expect(readFileSync(join(work, 'w', file)).equals(readFileSync(join(work, 'd', file)))).toBe(
        true,
      );
    }
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.bytesRead).toBe(progress.at(-1)!.bytesTotal);
  });

  it('rejects with the message the conversion failed with', async () => {
    const missing = join(work, 'no-such-checkpoint');
    let expected = '';
    try {
      convertCheckpoint(missing, join(work, 'x'));
    } catch (error) {
      expected = (error as Error).message;
    }
    expect(expected).not.toBe('');
    await expect(convertCheckpointInWorker(missing, join(work, 'y'))).rejects.toThrow(expected);
  });
});
