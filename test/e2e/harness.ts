// End-to-end harness: the real core (AppService in its own child process, like Electron's
// utility process) on a private copy of the test photos, the real renderer built for a browser,
// and Debian's Chromium driven by playwright-core. This process plays Electron main's part and
// only relays: loopback HTTP server → port client → child. Everything listens on 127.0.0.1 only.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { MODEL_CATALOG } from '../../native-models/catalog.ts';
import type { AppApi, OpenedFile } from '../../src-main/shared/contract.ts';
import { createHttpAppApi } from '../../src-main/transport/http-app-api.ts';
import { startLoopbackServer } from '../../src-main/transport/loopback-server.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { convertFixtures, FIXTURE_DIR } from '../support/golden.ts';
import { buildRendererForBrowser } from './renderer-build.ts';
import { startSameOriginServer } from './same-origin-server.ts';
import { forkServiceProcess } from './service-child.ts';

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
  /** The page's origin: the renderer, `/api/*` and `/photo/*` all live here. */
  url: string;
  /** A private copy of test/fixtures/photos (`library/`, `bad/`). */
  photos: string;
  /** The core's library database (for `sightline … --db`). */
  databasePath: string;
  /** Console errors and uncaught exceptions of the page so far. */
  pageErrors: string[];
  /** Saves `test-artifacts/e2e/<name>.png` and returns its path. */
  screenshot(name: string): Promise<string>;
  /** What Electron main does on "Open with": hands files to the core (a host-only call). */
  openFiles(paths: readonly string[]): Promise<OpenedFile[]>;
  /** The fake Hugging Face hub in 'hub' mode, else null. */
  hub: FakeHub | null;
  close: () => Promise<void>;
}

export interface E2eOptions {
  /** 'converted' (default): tiny converted fixture models are in place. 'hub': no models installed; a fake
   *  Hugging Face hub on loopback serves the tiny fixture checkpoints under the catalog's repo ids, so the
   *  first run must set up models through the UI (download + convert with progress). */
  models?: 'converted' | 'hub';
}

/** The catalog's default model for each role, served with the tiny fixture checkpoint of that kind. */
function fixtureHubRepos(): { repoId: string; dir: string }[] {
  const fixtureOf = { caption: 'opt', search: 'itm' } as const;
  return MODEL_CATALOG.filter((entry) => entry.isDefault).map((entry) => ({
    repoId: entry.repoId,
    dir: join(FIXTURE_DIR, fixtureOf[entry.role]),
  }));
}

/** Resolves once every <img> has loaded or failed (lazy ones outside the viewport excepted). */
async function imagesSettled(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    Array.from(document.images).every((image) => {
      // `complete` is also true for a broken image: that counts as finished.
      if (image.complete) return true;
      const box = image.getBoundingClientRect();
      const visible = box.bottom > 0 && box.top < window.innerHeight && box.width > 0;
      return image.loading === 'lazy' && !visible;
    }),
  );
}

export async function startE2eApp(options: E2eOptions = {}): Promise<E2eApp> {
  const root = mkdtempSync(join(tmpdir(), 'sightline-e2e-'));
  const photos = join(root, 'photos');
  cpSync(PHOTOS_FIXTURE, photos, { recursive: true });
  const hubMode = options.models === 'hub';
  const hub = hubMode ? await startFakeHub({ repos: fixtureHubRepos() }) : null;
  const models = hubMode ? null : convertFixtures();
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(root, { recursive: true, force: true }),
    () => models?.cleanup(),
    () => hub?.close(),
  ];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    // The page's origin must be known before the core starts (photo URLs point at it), and
    // that origin forwards to the loopback server, which needs the core: so the loopback
    // server's port is chosen first.
    const backendPort = await freeLoopbackPort();
    const staticDir = join(root, 'renderer');
    await buildRendererForBrowser(staticDir);
    const front = await startSameOriginServer(staticDir, `http://127.0.0.1:${backendPort}`);
    cleanups.push(() => front.close());

    const databasePath = join(root, 'library.db');
    const child = await forkServiceProcess({
      databasePath,
      version: 'e2e-test',
      modelsDir: join(root, 'models'),
      thumbnailDir: join(root, 'thumbnails'),
      ...(models ? { captionModelDir: models.opt, searchModelDir: models.itm } : {}),
      ...(hub ? { hubEndpoint: hub.endpoint } : {}),
      runtime: { providers: ['cpu'], intraOpThreads: 1 },
      indexing: { batchSize: 4, workers: 2, inference: { caption: { maxNewTokens: 6 } } },
      answers: { maxNewTokens: 8 },
      photoUrlPrefix: `${front.url}/photo/`,
    });
    cleanups.push(() => child.shutdown());
    const backend = await startLoopbackServer(child.client, { port: backendPort });
    cleanups.push(() => backend.close());

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
      url: front.url,
      photos,
      databasePath,
      pageErrors,
      async screenshot(name) {
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await imagesSettled(page);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      openFiles: (paths) => child.client.openFiles(paths),
      hub,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A port free on 127.0.0.1 right now (for a server that must start after its clients learn it). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  await new Promise<void>((closed) => server.close(() => closed()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}
