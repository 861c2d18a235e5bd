// End-to-end harness: the real core (AppService + loopback transport) on a private copy of the
// test photos with the tiny converted models, the real renderer built for a browser, and Debian's
// Chromium driven by playwright-core. Everything listens on 127.0.0.1 only.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AppService } from '../../src-main/service/app-service.ts';
import type { AppApi } from '../../src-main/shared/contract.ts';
import { createHttpAppApi } from '../../src-main/transport/http-app-api.ts';
import { startLoopbackServer } from '../../src-main/transport/loopback-server.ts';
import { convertFixtures } from '../support/golden.ts';
import { buildRendererForBrowser } from './renderer-build.ts';
import { startSameOriginServer } from './same-origin-server.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Why the suite is skipped on machines without Debian's chromium package (CI installs it). */
export const CHROMIUM_MISSING = existsSync(CHROMIUM_PATH)
  ? null
  : `${CHROMIUM_PATH} not found (apt-get install chromium); end-to-end tests skipped`;

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const PHOTOS_FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'photos');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-artifacts', 'e2e');

/** Flags for a headless, offline, deterministic browser inside containers without a GPU. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

export interface E2eApp {
  page: Page;
  /** A Node-side client of the same server the page uses (drives and observes the core). */
  api: AppApi;
  service: AppService;
  /** The page's origin: the renderer, `/api/*` and `/photo/*` all live here. */
  url: string;
  /** A private copy of test/fixtures/photos (`library/`, `bad/`). */
  photos: string;
  /** Console errors and uncaught exceptions of the page so far. */
  pageErrors: string[];
  /** Saves `test-artifacts/e2e/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  close: () => Promise<void>;
}

export async function startE2eApp(): Promise<E2eApp> {
  const root = mkdtempSync(join(tmpdir(), 'sightline-e2e-'));
  const photos = join(root, 'photos');
  cpSync(PHOTOS_FIXTURE, photos, { recursive: true });
  const models = convertFixtures();
  const service = new AppService({
    databasePath: join(root, 'library.db'),
    version: 'e2e-test',
    modelsDir: join(root, 'models'),
    thumbnailDir: join(root, 'thumbnails'),
    captionModelDir: models.opt,
    searchModelDir: models.itm,
    runtime: { providers: ['cpu'], intraOpThreads: 1 },
    indexing: { batchSize: 4, workers: 2, inference: { caption: { maxNewTokens: 6 } } },
    answers: { maxNewTokens: 8 },
  });
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(root, { recursive: true, force: true }),
    () => models.cleanup(),
    () => service.close(),
  ];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const backend = await startLoopbackServer(service);
    cleanups.push(() => backend.close());
    const staticDir = join(root, 'renderer');
    await buildRendererForBrowser(staticDir);
    const front = await startSameOriginServer(staticDir, backend.url);
    cleanups.push(() => front.close());
    service.setPhotoUrlPrefix(`${front.url}/photo/`);

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      pageErrors.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => pageErrors.push(`uncaught: ${error.message}`));

    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    return {
      page,
      api: createHttpAppApi(front.url),
      service,
      url: front.url,
      photos,
      pageErrors,
      async screenshot(name) {
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
