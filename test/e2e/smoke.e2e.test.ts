import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src-main/shared/app-events.ts';
import { measureEventLoopLag, writeLagReport } from './event-loop-lag.ts';
import { CHROMIUM_MISSING, SCREENSHOT_DIR, startE2eApp, type E2eApp } from './harness.ts';

type IndexingEvent = Extract<AppEvent, { type: 'indexing-progress' }>;

describe.skipIf(CHROMIUM_MISSING !== null)(
  'e2e smoke: Chromium + renderer + core in a child process',
  () => {
    let app: E2eApp;
    // Stays undefined when the start failed, so teardown does not hide that error.
    let closeApp: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      app = await startE2eApp();
      closeApp = app.close;
    });
    afterAll(async () => {
      await closeApp?.();
    });

    it('loads the renderer with no console errors and reaches the core through HTTP', async () => {
      const response = await app.page.goto(app.url);
      expect(response?.status()).toBe(200);
      await app.page.waitForFunction(
        () => (document.getElementById('app')?.childElementCount ?? 0) > 0,
      );
      const version = await app.page.evaluate(() => window.sightline.getVersion());
      expect(version).toBe(await app.api.getVersion());
      await app.screenshot('01-first-load');
      expect(app.pageErrors).toEqual([]);
    });

    it('indexes the library while the page is open and lists the photos through the page', async () => {
      await app.api.addRoot({ path: join(app.photos, 'library') });
      await app.api.addRoot({ path: join(app.photos, 'bad') });
      const { result: finished, lag } = await measureEventLoopLag(async () => {
        const done = new Promise<IndexingEvent>((resolveDone) => {
          const unsubscribe = app.api.subscribe((event) => {
            if (event.type === 'indexing-progress' && event.state === 'idle') {
              unsubscribe();
              resolveDone(event);
            }
          });
        });
        await app.api.startIndexing({});
        return done;
      });
      const subject =
        'main-process stand-in (the test process: loopback HTTP/SSE relay + port client; the core ' +
        'indexes in its own child process)';
      console.log(
        `event-loop lag of the ${subject} while indexing: p50 ${lag.p50Ms} ms, ` +
          `p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms (${lag.samples} samples)`,
      );
      writeLagReport(join(SCREENSHOT_DIR, 'event-loop-lag.json'), subject, lag);
      expect(finished.error).toBeNull();
      // The acceptance bound. Measured here at p99 3.7-4.2 ms once the core runs below
      // normal priority (up to 44 ms before, on this 2-core machine), so this is far from flaky;
      // failing it means heavy work crept back onto the relaying process.
      expect(lag.p99Ms).toBeLessThan(50);

      const status = await app.api.getIndexingStatus();
      expect(status.state).toBe('idle');
      expect(status.photos).toBeGreaterThan(0);
      expect(status.errors).toBeGreaterThan(0);

      const page = await app.page.evaluate(() =>
        window.sightline.listPhotos({ offset: 0, limit: 1000 }),
      );
      expect(page.photos).toHaveLength(status.photos);
      const thumbnail = page.photos[0]!.thumbnailUrl;
      expect(thumbnail.startsWith(`${app.url}/photo/`)).toBe(true);
      // The page's own origin serves the thumbnail (what an <img> in the grid would load).
      const contentType = await app.page.evaluate(
        async (url) => (await fetch(url)).headers.get('content-type'),
        thumbnail,
      );
      expect(contentType).toMatch(/^image\//);

      await app.page.reload();
      await app.page.waitForFunction(
        () => (document.getElementById('app')?.childElementCount ?? 0) > 0,
      );
      await app.screenshot('02-after-indexing');
      expect(app.pageErrors).toEqual([]);
    });
  },
);
