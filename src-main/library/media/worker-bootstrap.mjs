// Starts the worker module named in `workerData.entry` when running from source (see
// worker-entry.ts; the bundle starts its built workers directly and never loads this file).
// A worker thread starts with Node's bare loader, and under Node 20 `--import tsx` in a worker's
// execArgv did not reach the worker's entry module (ERR_UNKNOWN_FILE_EXTENSION); so TypeScript
// entries are loaded through tsx's API here. JavaScript is imported as is.
import { workerData } from 'node:worker_threads';

const entry = /** @type {{ entry: string }} */ (workerData).entry;
if (entry.endsWith('.ts')) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(entry, import.meta.url);
} else {
  await import(entry);
}
