// Entry of the worker thread that converts a checkpoint (see convert-in-worker.ts in
// src-main/library/hub): conversion reads and writes gigabytes synchronously, which must not
// stall the process that serves the app.
import { parentPort, workerData } from 'node:worker_threads';
import { convertCheckpoint, type ConvertOptions, type ConvertProgress } from './convert.ts';
import type { ConvertResult } from './convert.ts';

export interface ConvertWorkerData {
  hfDir: string;
  outDir: string;
  options: Omit<ConvertOptions, 'onProgress'>;
}

export type ConvertWorkerMessage =
  | { kind: 'progress'; progress: ConvertProgress }
  | { kind: 'done'; result: ConvertResult }
  | { kind: 'failed'; message: string };

function post(message: ConvertWorkerMessage): void {
  parentPort?.postMessage(message);
}

const { hfDir, outDir, options } = workerData as ConvertWorkerData;
try {
  const result = convertCheckpoint(hfDir, outDir, {
    ...options,
    onProgress: (progress) => post({ kind: 'progress', progress }),
  });
  post({ kind: 'done', result });
} catch (error) {
  post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}
