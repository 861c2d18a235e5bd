// The production bundle runs: electron-vite builds the main process (service child, decode and
// convert workers as plain JavaScript in one flat folder), then plain Node (no tsx) runs
// out/main/service.js the way Electron's utility process would, and the core works from it.
import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'electron-vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_CATALOG } from '../../native-models/catalog.ts';
import type { AppEvent } from '../../src-main/shared/app-events.ts';
import { AppService } from '../../src-main/service/app-service.ts';
import { childProcessPort } from '../../src-main/transport/message-port.ts';
import { connectOverPort, type ServiceClient } from '../../src-main/transport/port-rpc.ts';
import {
  SERVICE_OPTIONS_ENV,
  serviceControlSchema,
  type ServiceProcessOptions,
} from '../../src-main/transport/service-options.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { FIXTURE_DIR, convertFixtures, type ConvertedFixture } from '../support/golden.ts';
import {
  CPU,
  PHOTOS_FIXTURE,
  distinctContents,
  filesUnder,
  isIndexingFinished,
  nextEvent,
} from '../src-main/service/service-test-kit.ts';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
const SEARCH_MODEL = MODEL_CATALOG.find((entry) => entry.isDefault && entry.role === 'search')!;

/** Starts `node service.js` and resolves once it serves calls. */
async function startServiceProcess(
  serviceJs: string,
  options: ServiceProcessOptions,
): Promise<{ child: ChildProcess; client: ServiceClient; stderr: () => string }> {
  const { NODE_OPTIONS: _loaders, ...env } = process.env;
  const child = fork(serviceJs, [], {
    // Plain Node: nothing from this test process (vitest, tsx) may help the bundle load.
    execArgv: [],
    env: { ...env, [SERVICE_OPTIONS_ENV]: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message) => {
      const control = serviceControlSchema.safeParse(message);
      if (control.success && control.data.kind === 'ready') resolve();
      if (control.success && control.data.kind === 'failed') reject(new Error(control.data.error));
    });
    child.on('exit', (code) => reject(new Error(`service exited (${code}): ${stderr}`)));
  });
  return { child, client: connectOverPort(childProcessPort(child)), stderr: () => stderr };
}

/** Asks the service to close (as the shell does) and waits until its process is gone. */
async function stopServiceProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ kind: 'shutdown' });
  await exited;
}

describe('the built service process (out/main/service.js under plain Node)', () => {
  let outDir: string;
  let work: string;
  let models: ConvertedFixture;
  let hub: FakeHub;
  let client: ServiceClient;
  const events: AppEvent[] = [];
  /** Undone in reverse order, however far beforeAll got. */
  const cleanups: (() => unknown)[] = [];
  const serviceOptions = (): ServiceProcessOptions => ({
    version: '9.9.9-bundle',
    databasePath: join(work, 'library.db'),
    thumbnailDir: join(work, 'thumbnails'),
    modelsDir: join(work, 'models'),
    captionModelDir: models.opt,
    searchModelDir: models.itm,
    runtime: { providers: [...CPU.providers], intraOpThreads: CPU.intraOpThreads },
    indexing: { batchSize: 4, workers: 2, inference: { caption: { maxNewTokens: 6 } } },
    hubEndpoint: hub.endpoint,
  });

  beforeAll(async () => {
    // Inside the project: the bundle imports its external packages from node_modules, and the
    // project's package.json ("type": "module") makes its .js files ES modules, as in the app.
    mkdirSync(join(PROJECT_ROOT, 'out'), { recursive: true });
    outDir = mkdtempSync(join(PROJECT_ROOT, 'out', 'bundle-test-'));
    cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
    await build({
      root: PROJECT_ROOT,
      configFile: join(PROJECT_ROOT, 'electron.vite.config.ts'),
      build: { outDir },
      logLevel: 'warn',
    });
    work = mkdtempSync(join(outDir, 'work-'));
    cpSync(join(PHOTOS_FIXTURE, 'library'), join(work, 'photos'), { recursive: true });
    models = convertFixtures();
    cleanups.push(() => models.cleanup());
    hub = await startFakeHub({
      repos: [{ repoId: SEARCH_MODEL.repoId, dir: join(FIXTURE_DIR, 'itm') }],
    });
    cleanups.push(() => hub.close());
    const started = await startServiceProcess(join(outDir, 'main', 'service.js'), serviceOptions());
    cleanups.push(() => stopServiceProcess(started.child));
    client = started.client;
    client.subscribe((event) => events.push(event));
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('builds every main-process entry flat into out/main', () => {
    for (const entry of ['index', 'service', 'decode-worker', 'convert-worker']) {
      expect(existsSync(join(outDir, 'main', `${entry}.js`))).toBe(true);
    }
  });

  it('indexes the test photos through the bundled decode workers', async () => {
    expect(await client.getVersion()).toBe('9.9.9-bundle');
    await client.addRoot({ path: join(work, 'photos') });
    const finished = nextEvent(client, isIndexingFinished);
    await client.startIndexing({});
    expect(await finished).toMatchObject({ error: null });
    const status = await client.getIndexingStatus();
    const files = filesUnder(join(work, 'photos'));
    expect(status).toMatchObject({
      files: files.length,
      errors: 0,
      photos: distinctContents(files),
    });
    expect(status.lastRun).toMatchObject({ state: 'done', errors: 0 });
  });

  it('describes an image exactly as the service running from source does', async () => {
    const photo = join(work, 'photos', 'misc', 'coffee.png');
    const bundled = await client.describeImage({ path: photo });
    const fromSource = new AppService({ ...serviceOptions(), databasePath: join(work, 'src.db') });
    try {
      expect(bundled.caption).toBe((await fromSource.describeImage({ path: photo })).caption);
    } finally {
      await fromSource.close();
    }
  });

  it('sets up a model from the hub through the bundled conversion worker', async () => {
    const settled = nextEvent(
      client,
      (event): event is Extract<AppEvent, { type: 'model-setup-progress' }> =>
        event.type === 'model-setup-progress' && ['done', 'error'].includes(event.phase),
    );
    await client.setupModels({ names: [SEARCH_MODEL.name] });
    expect(await settled).toMatchObject({ phase: 'done', error: null });
    expect(events.some((e) => e.type === 'model-setup-progress' && e.phase === 'convert')).toBe(
      true,
    );
    const status = await client.getModelStatus();
    expect(status.models.find((m) => m.name === SEARCH_MODEL.name)).toMatchObject({
      state: 'converted',
    });
  });
});
