import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppService, type AppServiceOptions } from '../../../src-main/service/app-service.ts';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import type { AppApi } from '../../../src-main/shared/contract.ts';
import { convertFixtures, type ConvertedFixture } from '../../support/golden.ts';

export const PHOTOS_FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'photos');
export const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export function distinctContents(paths: readonly string[]): number {
  return new Set(paths.map((p) => createHash('sha256').update(readFileSync(p)).digest('hex'))).size;
}

export interface ServiceKit {
  root: string;
  /** A private copy of the test photos: `<photos>/library`, `<photos>/bad`. */
  photos: string;
  models: ConvertedFixture;
  service: AppService;
  close(): Promise<void>;
}

/** An AppService over the tiny converted models, a copy of the given photo folders and an empty library. */
export function createServiceKit(
  folders: readonly string[],
  extra: Partial<AppServiceOptions> = {},
): ServiceKit {
  const root = mkdtempSync(join(tmpdir(), 'sightline-service-'));
  const photos = join(root, 'photos');
  for (const folder of folders) {
    cpSync(join(PHOTOS_FIXTURE, folder), join(photos, folder), { recursive: true });
  }
  const models = convertFixtures();
  const service = new AppService({
    databasePath: join(root, 'library.db'),
    version: '1.2.3-test',
    modelsDir: join(root, 'models'),
    captionModelDir: models.opt,
    searchModelDir: models.itm,
    runtime: CPU,
    indexing: {
      batchSize: 4,
      workers: 2,
      inference: { caption: { maxNewTokens: 6, numBeams: 2 } },
    },
    answers: { maxNewTokens: 8 },
    ...extra,
  });
  return {
    root,
    photos,
    models,
    service,
    async close() {
      await service.close();
      models.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Resolves with the first event matching `predicate` from now on. */
export function nextEvent<T extends AppEvent>(
  api: Pick<AppApi, 'subscribe'>,
  predicate: (event: AppEvent) => event is T,
): Promise<T> {
  return new Promise((resolveEvent) => {
    const unsubscribe = api.subscribe((event) => {
      if (predicate(event)) {
        unsubscribe();
        resolveEvent(event);
      }
    });
  });
}

export const isIndexingFinished = (
  event: AppEvent,
): event is Extract<AppEvent, { type: 'indexing-progress' }> =>
  event.type === 'indexing-progress' && event.state === 'idle';

/** The end of a streamed answer (tests keep one answer in flight at a time). */
export const isAnswerEnd = (
  event: AppEvent,
): event is Extract<AppEvent, { type: 'answer-done' } | { type: 'answer-error' }> =>
  event.type === 'answer-done' || event.type === 'answer-error';

/** Every `answer-token` text of a request, in order. */
export function tokensOf(events: readonly AppEvent[], requestId: string): string[] {
  return events.flatMap((e) =>
    e.type === 'answer-token' && e.requestId === requestId ? [e.text] : [],
  );
}
