import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageToRgb } from '../../../../src-main/engine/image/decode.ts';
import {
  loadPreprocessorConfig,
  preprocessImage,
} from '../../../../src-main/engine/image/preprocess.ts';
import type { PreprocessorConfig } from '../../../../src-main/engine/image/preprocess.ts';
import { decodePhoto } from '../../../../src-main/library/media/decode.ts';
import {
  DecodePool,
  DecodeWorkerCrashedError,
} from '../../../../src-main/library/media/decode-pool.ts';
import type { PhotoJob } from '../../../../src-main/library/media/decode-pool.ts';
import { hashFile } from '../../../../src-main/library/media/hash.ts';

const PHOTOS = join(import.meta.dirname, '../../../fixtures/photos');
const PREPROCESSOR_DIR = join(import.meta.dirname, '../../../fixtures/blip2-tiny/opt');
const execFileAsync = promisify(execFile);

const BAD_REASONS: Record<string, string> = {
  'cut-in-half.jpg': 'truncated',
  'empty.jpg': 'empty',
  'not-an-image.jpg': 'unsupported-format',
  'pixel-bomb.png': 'too-many-pixels',
  'truncated.jpg': 'truncated',
};

let preprocessor: PreprocessorConfig;
let thumbnailDir: string;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const job = (path: string): PhotoJob => ({
  path,
  preprocessor,
  thumbnailDir,
  maxPixels: 100_000_000,
});

beforeAll(async () => {
  preprocessor = await loadPreprocessorConfig(PREPROCESSOR_DIR);
  thumbnailDir = await mkdtemp(join(tmpdir(), 'sightline-pool-'));
});
afterAll(async () => {
  await rm(thumbnailDir, { recursive: true, force: true });
});

describe('DecodePool', () => {
  it('processes the whole photo fixture: good photos match single-threaded preprocessing', async () => {
    const pool = new DecodePool({ size: 3 });
    try {
      const good = await listFiles(join(PHOTOS, 'library'));
      const bad = await listFiles(join(PHOTOS, 'bad'));
      expect(good.some((p) => p.endsWith('.heic'))).toBe(true);
      const results = await Promise.all([...good, ...bad].map((path) => pool.process(job(path))));

      for (const [i, path] of good.entries()) {
        const result = results[i]!;
        if (!result.ok) throw new Error(`${path} failed: ${result.reason}`);
        // The engine's decoder where sharp can decode it; HEIC only through decodePhoto.
        const image = path.endsWith('.heic')
          ? await decodePhoto(path)
          : await decodeImageToRgb(path);
        const expected = preprocessImage(image, preprocessor);
        expect(result.pixelValues).toBeInstanceOf(Float32Array);
        expect(Buffer.from(result.pixelValues.buffer).equals(Buffer.from(expected.buffer))).toBe(
          true,
        );
        expect(result.path).toBe(path);
        expect({ sha256: result.sha256, size: result.size }).toEqual(await hashFile(path));
        expect(result.metadata.width).toBe(image.width);
        expect(result.metadata.height).toBe(image.height);
        await access(result.thumbnailPath);
        expect(result.decodeMs).toBeGreaterThan(0);
      }

      const failures = results.slice(good.length);
      expect(failures.map((r) => (r.ok ? 'ok' : `${r.stage}:${r.code}`))).toEqual(
        bad.map((path) => `decode:${BAD_REASONS[path.split('/').pop()!]}`),
      );
      for (const failure of failures)
        if (!failure.ok) expect(failure.reason).toContain(failure.path);
    } finally {
      await pool.close();
    }
  });

  it('gives each bad file its own reason even when many fail at the same time', async () => {
    // libvips has one error buffer per process: without the pool's decode lock, concurrent
    // failures lose their messages and come back as "corrupt (Unknown error)".
    const pool = new DecodePool({ size: 4 });
    try {
      const bad = await listFiles(join(PHOTOS, 'bad'));
      const paths = Array.from({ length: 6 }, () => bad).flat();
      const results = await Promise.all(paths.map((path) => pool.process(job(path))));
      expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(
        paths.map((path) => BAD_REASONS[path.split('/').pop()!]),
      );
    } finally {
      await pool.close();
    }
  });

  it('reports a missing file as a read failure', async () => {
    const pool = new DecodePool({ size: 1 });
    try {
      const result = await pool.process(job(join(PHOTOS, 'no-such-photo.jpg')));
      expect(result).toMatchObject({ ok: false, stage: 'read', code: 'ENOENT' });
    } finally {
      await pool.close();
    }
  });

  it('fails only the job of a worker that dies, then replaces the worker', async () => {
    const workerModule = new URL('./crashing-decode-worker.ts', import.meta.url);
    const pool = new DecodePool({ size: 2, workerModule });
    try {
      const photo = join(PHOTOS, 'library/misc/rocket.jpg');
      const [before, exited, thrown, after] = await Promise.allSettled([
        pool.process(job(photo)),
        pool.process(job(join(thumbnailDir, 'crash-exit.jpg'))),
        pool.process(job(join(thumbnailDir, 'crash-throw.jpg'))),
        pool.process(job(photo)),
      ]);
      expect(before).toMatchObject({ status: 'fulfilled', value: { ok: true } });
      expect(after).toMatchObject({ status: 'fulfilled', value: { ok: true } });
      for (const crashed of [exited, thrown]) {
        expect(crashed.status).toBe('rejected');
        const reason = (crashed as PromiseRejectedResult).reason as Error;
        expect(reason).toBeInstanceOf(DecodeWorkerCrashedError);
        expect(reason.message).toMatch(
          /crash-(exit|throw)\.jpg was not decoded: the decode worker crashed/,
        );
      }
      expect(((exited as PromiseRejectedResult).reason as Error).message).toContain('exit code 7');
      expect(((thrown as PromiseRejectedResult).reason as Error).message).toContain(
        'simulated fault',
      );
      // The pool still works afterwards.
      await expect(pool.process(job(photo))).resolves.toMatchObject({ ok: true });
    } finally {
      await pool.close();
    }
  });

  it('rejects jobs after close', async () => {
    const pool = new DecodePool({ size: 1 });
    await pool.close();
    await expect(pool.process(job(join(PHOTOS, 'library/misc/rocket.jpg')))).rejects.toThrow(
      /closed/,
    );
  });

  it('runs its workers under `node --import tsx` too', async () => {
    const photo = join(PHOTOS, 'library/misc/astronaut.heic');
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'pool-under-tsx.ts'),
        photo,
        thumbnailDir,
        PREPROCESSOR_DIR,
      ],
      { cwd: join(import.meta.dirname, '../../../..'), maxBuffer: 64 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as { ok: boolean; pixelValues: number[] };
    expect(result.ok).toBe(true);
    const expected = preprocessImage(await decodePhoto(photo), preprocessor);
    expect(Float32Array.from(result.pixelValues)).toEqual(expected);
  });
});
