import { parentPort, threadId, workerData } from 'node:worker_threads';
import { DecodeLock } from './decode-lock.ts';
import { processPhotoJob } from './photo-job.ts';
import type { FailedPhoto, PhotoJob, PhotoJobContext, ProcessedPhoto } from './photo-job.ts';

export interface WorkerRequest {
  id: number;
  job: PhotoJob;
}

/** What the pool passes in `workerData` (besides the bootstrap's `entry`). */
export interface DecodeWorkerData {
  /** The pool's `DecodeLock` buffer and this worker's slot in it. */
  decodeLock?: { buffer: SharedArrayBuffer; slot: number };
}

export type WorkerResponse =
  | { id: number; result: ProcessedPhoto | FailedPhoto }
  /** `processPhotoJob` threw (environment problem): the pool rejects that job only. */
  | { id: number; error: string };

/**
 * Serve decode jobs from the pool on this worker thread. `beforeJob` lets tests inject faults
 * (a crash mid-job) without putting test switches into the production path.
 */
export function serveDecodeJobs(beforeJob?: (job: PhotoJob) => Promise<void> | void): void {
  const port = parentPort;
  if (!port) throw new Error('serveDecodeJobs must run in a worker thread');
  const lockData = (workerData as DecodeWorkerData | undefined)?.decodeLock;
  const lock = lockData ? new DecodeLock(lockData.buffer) : undefined;
  const context: PhotoJobContext | undefined =
    lock && lockData
      ? {
          shared: (task) => lock.shared(lockData.slot, task),
          exclusive: (task) => lock.exclusive(threadId, task),
        }
      : undefined;
  port.on('message', (request: WorkerRequest) => {
    void (async () => {
      let response: WorkerResponse;
      try {
        await beforeJob?.(request.job);
        response = { id: request.id, result: await processPhotoJob(request.job, context) };
      } catch (error) {
        response = {
          id: request.id,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      // Hand the model input over instead of copying it (a 364x364 image is 1.6 MB of floats).
      const transfer =
        'result' in response && response.result.ok
          ? [response.result.pixelValues.buffer as ArrayBuffer]
          : [];
      port.postMessage(response, transfer);
    })();
  });
}
