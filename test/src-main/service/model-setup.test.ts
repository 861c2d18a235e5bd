import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppService } from '../../../src-main/service/app-service.ts';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import { startFakeHub, type FakeHub } from '../../support/fake-hub.ts';
import { FIXTURE_DIR } from '../../support/golden.ts';
import { CPU, nextEvent } from './service-test-kit.ts';

const SEARCH_MODEL = 'blip2-itm-vit-g';

describe('AppService model setup', () => {
  let hub: FakeHub;
  let root: string;
  let service: AppService;

  beforeAll(async () => {
    // The catalog's search repo, served with the tiny fixture checkpoint's files.
    hub = await startFakeHub({
      repos: [{ repoId: 'Salesforce/blip2-itm-vit-g', dir: join(FIXTURE_DIR, 'itm') }],
    });
    root = mkdtempSync(join(tmpdir(), 'sightline-setup-service-'));
    service = new AppService({
      databasePath: join(root, 'library.db'),
      version: 'test',
      modelsDir: join(root, 'models'),
      runtime: CPU,
      hubEndpoint: hub.endpoint,
    });
  });
  afterAll(async () => {
    await service.close();
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports a missing model as unavailable, then installs it in the background', async () => {
    const before = await service.getModelStatus();
    expect(before.search).toMatchObject({ ready: false, loaded: false });
    expect(before.models.find((m) => m.name === SEARCH_MODEL)?.state).toBe('missing');
    await expect(service.search({ text: 'a dog' })).rejects.toMatchObject({ code: 'unavailable' });

    const events: AppEvent[] = [];
    const unsubscribe = service.subscribe((e) => events.push(e));
    const finished = nextEvent(
      service,
      (e): e is Extract<AppEvent, { type: 'model-setup-progress' }> =>
        e.type === 'model-setup-progress' && (e.phase === 'done' || e.phase === 'error'),
    );
    expect(await service.setupModels({ names: [SEARCH_MODEL, SEARCH_MODEL] })).toEqual({
      started: [SEARCH_MODEL],
    });
    expect(
      (await service.getModelStatus()).models.find((m) => m.name === SEARCH_MODEL)?.setup,
    ).toBe('running');
    const end = await finished;
    unsubscribe();
    expect(end).toMatchObject({ name: SEARCH_MODEL, phase: 'done', error: null });
    const phases = events.flatMap((e) => (e.type === 'model-setup-progress' ? [e.phase] : []));
    expect(phases).toContain('download');
    expect(phases).toContain('convert');

    const after = await service.getModelStatus();
    expect(after.search).toMatchObject({ dir: join(root, 'models', SEARCH_MODEL), ready: true });
    const entry = after.models.find((m) => m.name === SEARCH_MODEL)!;
    expect(entry).toMatchObject({ state: 'converted', setup: 'idle', setupError: null });
    expect(entry.convertedBytes).toBeGreaterThan(0);
    // Installed and loadable: an empty library simply has nothing to find.
    expect(await service.search({ text: 'a dog' })).toEqual([]);
  });
});
