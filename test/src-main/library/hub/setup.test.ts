import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelSourceFor } from '../../../../native-models/catalog.ts';
import { readManifest } from '../../../../src-main/engine/blip2/converted-model.ts';
import { runtimeOptionsFrom } from '../../../../src-main/engine/runtime/providers.ts';
import { DOWNLOAD_RECORD_FILE } from '../../../../src-main/library/hub/download-record.ts';
import { setupModel, type SetupProgress } from '../../../../src-main/library/hub/setup.ts';
import { startFakeHub, type FakeHub } from '../../../support/fake-hub.ts';
import { FIXTURE_DIR } from '../../../support/golden.ts';

const OPT_REPO = 'sightline-test/blip2-tiny-opt';
const ITM_REPO = 'sightline-test/blip2-tiny-itm';

let hub: FakeHub;
let work: string;
beforeAll(async () => {
  hub = await startFakeHub({
    repos: [
      { repoId: OPT_REPO, dir: join(FIXTURE_DIR, 'opt') },
      { repoId: ITM_REPO, dir: join(FIXTURE_DIR, 'itm') },
    ],
  });
  work = mkdtempSync(join(tmpdir(), 'sightline-setup-'));
});
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

describe('setupModel: pull then convert', () => {
  it('downloads and converts a checkpoint into a folder the runtime accepts', async () => {
    const modelsDir = join(work, 'models');
    const phases = new Set<SetupProgress['phase']>();
    const result = await setupModel(modelSourceFor(OPT_REPO), {
      modelsDir,
      endpoint: hub.endpoint,
      token: '',
      hfCacheDir: null,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(result.modelDir).toBe(join(modelsDir, 'blip2-tiny-opt'));
    expect(existsSync(join(modelsDir, 'hf', 'blip2-tiny-opt', DOWNLOAD_RECORD_FILE))).toBe(true);
    const manifest = readManifest(result.modelDir!);
    expect(manifest.architecture).toBe('Blip2ForConditionalGeneration');
    expect(manifest.source.repoId).toBe(OPT_REPO);
    expect(manifest.source.revision).toBe(hub.commitOf(OPT_REPO));
    expect(result.role).toBe('caption');
    expect([...phases]).toEqual(['download', 'convert']);
    expect(result.convertedBytes).toBeGreaterThan(0);
    const preferred = runtimeOptionsFrom().providers.join(' → ');
    expect(result.summary).toContain(`blip2-tiny-opt (caption): converted`);
    expect(result.summary).toContain(`preferred execution provider: ${preferred}`);
  });

  it('does nothing twice: a second setup reuses the download and the conversion', async () => {
    hub.requests.length = 0;
    const result = await setupModel(modelSourceFor(OPT_REPO), {
      modelsDir: join(work, 'models'),
      endpoint: hub.endpoint,
      hfCacheDir: null,
    });
    expect(result.alreadyConverted).toBe(true);
    expect(result.pull?.source).toBe('already-downloaded');
    expect(hub.requests).toHaveLength(0);
  });

  it('converts at the provider default (int4 on CPU), and again when asked for another precision', async () => {
    const options = { modelsDir: join(work, 'models'), endpoint: hub.endpoint, hfCacheDir: null };
    const onCpu = await setupModel(modelSourceFor(OPT_REPO), { ...options, providers: ['cpu'] });
    expect(onCpu.precision).toBe('int4');
    const fp32 = await setupModel(modelSourceFor(OPT_REPO), { ...options, precision: 'fp32' });
    expect(fp32.alreadyConverted).toBe(false);
    expect(readManifest(fp32.modelDir!).precision).toBe('fp32');
    expect(fp32.summary).toContain('converted (fp32)');
    const again = await setupModel(modelSourceFor(OPT_REPO), { ...options, precision: 'fp32' });
    expect(again.alreadyConverted).toBe(true);
  });

  it('stores the vision tower both models share once (a hard link), and a reconversion keeps the other intact', async () => {
    const options = {
      modelsDir: join(work, 'models-shared'),
      endpoint: hub.endpoint,
      hfCacheDir: null,
      precision: 'int8' as const,
    };
    const caption = await setupModel(modelSourceFor(OPT_REPO), options);
    const search = await setupModel(modelSourceFor(ITM_REPO), options);
    const captionData = join(caption.modelDir!, 'vision.onnx.data');
    const searchData = join(search.modelDir!, 'vision.onnx.data');
    expect(statSync(searchData).ino).toBe(statSync(captionData).ino);
    expect(statSync(searchData).nlink).toBe(2);
    const before = readFileSync(searchData);

    await setupModel(modelSourceFor(OPT_REPO), { ...options, precision: 'fp32' });
    expect(statSync(captionData).ino).not.toBe(statSync(searchData).ino);
    expect(readFileSync(searchData).equals(before)).toBe(true);
  });

  it('downloads only with convert: false, and converts a local folder offline', async () => {
    const modelsDir = join(work, 'models-2');
    const downloaded = await setupModel(modelSourceFor(ITM_REPO), {
      modelsDir,
      endpoint: hub.endpoint,
      hfCacheDir: null,
      convert: false,
    });
    expect(downloaded.modelDir).toBeNull();
    expect(existsSync(join(modelsDir, 'blip2-tiny-itm'))).toBe(false);
    expect(downloaded.summary).toMatch(/not converted/);

    const imported = await setupModel(modelSourceFor(ITM_REPO), {
      modelsDir,
      localDir: join(FIXTURE_DIR, 'itm'),
    });
    expect(imported.pull).toBeNull();
    expect(imported.role).toBe('search');
    expect(readManifest(imported.modelDir!).architecture).toBe('Blip2ForImageTextRetrieval');
  });

  it('checks the disk before converting (float32 graphs need more than fp16 weights)', async () => {
    await expect(
      setupModel(modelSourceFor(OPT_REPO), {
        modelsDir: join(work, 'models-3'),
        localDir: join(FIXTURE_DIR, 'opt'),
        freeBytes: () => Promise.resolve(10),
      }),
    ).rejects.toThrow(
      /not enough disk space in .* to convert: needs about [\d.]+ kB, only 10 B free/,
    );
  });
});

describe('setupModel: conversion off the event loop', () => {
  it('converts on a worker thread: timers keep firing while the graphs are written', async () => {
    // Each tick is a turn of this thread's event loop. A synchronous conversion would deliver
    // every progress report within one turn, so all of them would see the same count.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const ticksAtProgress: number[] = [];
    try {
      const result = await setupModel(modelSourceFor(OPT_REPO), {
        modelsDir: join(work, 'models-4'),
        localDir: join(FIXTURE_DIR, 'opt'),
        onProgress: (p) => {
          if (p.phase === 'convert') ticksAtProgress.push(ticks);
        },
      });
      ticksAtProgress.push(ticks);
      expect(readManifest(result.modelDir!).architecture).toBe('Blip2ForConditionalGeneration');
    } finally {
      clearInterval(timer);
    }
    expect(ticksAtProgress.length).toBeGreaterThan(2);
    expect(ticksAtProgress.at(-1)!).toBeGreaterThan(ticksAtProgress[0]!);
  });
});
