import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync, readdirSync } from 'node:fs';
import { constants, getPriority, tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import { forkServiceProcess, type ServiceChild } from '../../e2e/service-child.ts';
import { convertFixtures, type ConvertedFixture } from '../../support/golden.ts';
import { CPU, PHOTOS_FIXTURE } from '../service/service-test-kit.ts';

const VERSION = 'child-test-version';
const PHOTO = join(PHOTOS_FIXTURE, 'library', 'pets', 'chelsea.png');

describe('the core in its own process (Node fork of service-process.ts)', () => {
  let models: ConvertedFixture;
  let root: string;
  let service: ServiceChild | undefined;

  beforeAll(async () => {
    models = convertFixtures();
    root = mkdtempSync(join(tmpdir(), 'sightline-child-'));
    service = await forkServiceProcess({
      databasePath: join(root, 'library.db'),
      version: VERSION,
      modelsDir: join(root, 'models'),
      captionModelDir: models.opt,
      searchModelDir: models.itm,
      runtime: { providers: [...CPU.providers], intraOpThreads: CPU.intraOpThreads },
      answers: { maxNewTokens: 5 },
    });
  }, 60_000);
  afterAll(async () => {
    await service?.shutdown();
    models.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers calls, including host-only ones', async () => {
    const { client } = service!;
    expect(await client.getVersion()).toBe(VERSION);
    expect(await client.servingFolders()).toEqual({
      libraryRoots: [],
      thumbnailDir: join(root, 'thumbnails'),
    });
    await expect(client.getPhoto({ photoId: 1 })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('describes a photo, its tokens arriving as events across the process boundary', async () => {
    const { client } = service!;
    const tokens: string[] = [];
    const unsubscribe = client.subscribe((event: AppEvent) => {
      if (event.type === 'answer-token' && event.requestId === 'child-describe') {
        tokens.push(event.text);
      }
    });
    const result = await client.describeImage({ path: PHOTO, requestId: 'child-describe' });
    unsubscribe();
    expect(result.requestId).toBe('child-describe');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.join('').trim()).toBe(result.caption);
  }, 60_000);

  it('runs below normal priority, every thread of it (workers and ORT threads included)', () => {
    const pid = service!.process.pid!;
    const below = constants.priority.PRIORITY_BELOW_NORMAL;
    expect(getPriority(pid)).toBe(below);
    if (process.platform !== 'linux') return;
    // Linux keeps the nice value per thread: field 19 of /proc/<pid>/task/<tid>/stat.
    const niceOfThreads = readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    expect(niceOfThreads.length).toBeGreaterThan(4); // libuv pool, V8 and ORT threads exist by now
    expect(niceOfThreads.every((nice) => nice === below)).toBe(true);
  });

  it('rejects calls in flight when the process dies', async () => {
    const child = service!;
    const inFlight = [
      child.client.describeImage({ path: PHOTO }),
      child.client.listPhotos({ offset: 0, limit: 10 }),
    ];
    // Killed before this process can read any answer: both calls are still waiting.
    child.process.kill('SIGKILL');
    for (const call of inFlight) {
      await expect(call).rejects.toMatchObject({ code: 'internal' });
    }
    expect((await child.exited).signal).toBe('SIGKILL');
    await expect(child.client.getVersion()).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('service process lifecycle', () => {
  it('closes the service and exits 0 on a shutdown message', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sightline-child-'));
    try {
      const child = await forkServiceProcess({
        databasePath: join(root, 'library.db'),
        version: VERSION,
        modelsDir: join(root, 'models'),
      });
      expect(await child.client.getVersion()).toBe(VERSION);
      await child.shutdown();
      expect(await child.exited).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports options it cannot use instead of starting', async () => {
    const invalid = { version: VERSION, runtime: { providers: ['gpu'], intraOpThreads: 1 } };
    await expect(
      forkServiceProcess(invalid as unknown as Parameters<typeof forkServiceProcess>[0]),
    ).rejects.toThrow(/SIGHTLINE_SERVICE_OPTIONS is invalid: runtime\.providers/);
  }, 60_000);
});
