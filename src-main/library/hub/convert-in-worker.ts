import type { ConvertOptions, ConvertResult } from '../../../native-models/builder/convert.ts';
import type {
  ConvertWorkerData,
  ConvertWorkerMessage,
} from '../../../native-models/builder/convert-worker.ts';
import { startWorker, workerEntry } from '../media/worker-entry.ts';

/** `convert-worker` is the bundle's name for convert-worker.ts (electron.vite.config.ts). */
const CONVERT_WORKER = workerEntry(
  'convert-worker',
  new URL('../../../native-models/builder/convert-worker.ts', import.meta.url),
);

/**
 * `convertCheckpoint` on a worker thread, so the calling thread keeps serving while a real model
 * (minutes of synchronous reading and writing) converts. Same result, progress and error
 * messages as the synchronous call.
 */
export function convertCheckpointInWorker(
  hfDir: string,
  outDir: string,
  options: ConvertOptions = {},
  entry: URL = CONVERT_WORKER,
): Promise<ConvertResult> {
  const { onProgress, ...rest } = options;
  const workerData: ConvertWorkerData = { hfDir, outDir, options: rest };
  return new Promise((resolve, reject) => {
    const worker = startWorker(entry, workerData);
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      finish();
    };
    worker.on('message', (message: ConvertWorkerMessage) => {
      if (message.kind === 'progress') onProgress?.(message.progress);
      else if (message.kind === 'done') settle(() => resolve(message.result));
      else settle(() => reject(new Error(message.message)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => {
      settle(() => reject(new Error(`the conversion worker stopped (exit code ${code})`)));
    });
  });
}
