// Where a worker thread's code lives differs between the two ways Sightline runs. From source
// (tests, the CLI under tsx) a worker entry is a .ts file, which a worker thread cannot load by
// itself: it starts through worker-bootstrap.mjs, which imports the entry with tsx. In the
// electron-vite bundle every worker entry is built as `<name>.js` directly in out/main, next to
// the chunk this module ends up in, and there is neither TypeScript nor a bootstrap.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Set to `true` by the main-process build (`define` in electron.vite.config.ts). */
declare const __SIGHTLINE_BUNDLED__: boolean | undefined;

/** True inside the electron-vite bundle; false when running TypeScript from source. */
export function isBundled(): boolean {
  return typeof __SIGHTLINE_BUNDLED__ !== 'undefined' && __SIGHTLINE_BUNDLED__;
}

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);

/**
 * The module a worker should run: the bundle's `./<bundleName>.js` (a build entry of that name
 * in electron.vite.config.ts), or `sourceModule` when running from source.
 */
export function workerEntry(
  bundleName: string,
  sourceModule: URL,
  bundled: boolean = isBundled(),
  bundleDir: string = import.meta.url,
): URL {
  return bundled ? new URL(`./${bundleName}.js`, bundleDir) : sourceModule;
}

export interface WorkerLaunch {
  /** What `new Worker()` starts. */
  script: URL;
  /** The caller's workerData, plus `entry` for the bootstrap when it is needed. */
  workerData: Record<string, unknown>;
}

/** How to start `entry`: TypeScript through the bootstrap, JavaScript as it is. */
export function workerLaunch(entry: URL, workerData: object = {}): WorkerLaunch {
  return entry.pathname.endsWith('.ts')
    ? { script: BOOTSTRAP, workerData: { ...workerData, entry: entry.href } }
    : { script: entry, workerData: { ...workerData } };
}

/** Starts a worker thread running `entry` (see `workerLaunch`). */
export function startWorker(
  entry: URL,
  workerData: object = {},
  options: Omit<WorkerOptions, 'workerData'> = {},
): Worker {
  const launch = workerLaunch(entry, workerData);
  return new Worker(launch.script, { ...options, workerData: launch.workerData });
}
