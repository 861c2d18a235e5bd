import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
// sharp must be loaded by the main thread before any worker loads it, so its shared libraries
// stay mapped until every thread is done (sharp's documented requirement for worker threads).
import 'sharp';
import type { FailedPhoto, PhotoJob, ProcessedPhoto } from './photo-job.ts';
import type { DecodeWorkerData, WorkerRequest, WorkerResponse } from './decode-worker.ts';
import { DecodeLock } from './decode-lock.ts';
import { startWorker, workerEntry } from './worker-entry.ts';

export type { FailedPhoto, PhotoJob, ProcessedPhoto } from './photo-job.ts';
export type { PhotoMetadata } from './metadata.ts';

export interface DecodePoolOptions {
  /** Worker threads (default: cores - 1, at least 1). */
  size?: number;
  /**
   * Module the workers run (default: `decode-worker-main.ts` next to this file, or the bundle's
   * `decode-worker.js`). Tests point it at a fault-injecting one.
   */
  workerModule?: URL;
}

/** The worker running a job died (native crash, out of memory, `process.exit`). */
export class DecodeWorkerCrashedError extends Error {
  override readonly name = 'DecodeWorkerCrashedError';
}

interface PendingJob {
  id: number;
  job: PhotoJob;
  resolve: (result: ProcessedPhoto | FailedPhoto) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Its index in the decode lock, unique among live workers. */
  lockSlot: number;
  current: PendingJob | undefined;
  /** Set by the 'error' event, reported when the worker then exits. */
  failure: string | undefined;
}

/** `decode-worker` is the bundle's name for decode-worker-main.ts (electron.vite.config.ts). */
const DEFAULT_WORKER_MODULE = workerEntry(
  'decode-worker',
  new URL('./decode-worker-main.ts', import.meta.url),
);

/**
 * A pool of worker threads that do all per-file work of indexing (hash, decode, metadata,
 * preprocessing, thumbnail), so the main thread only schedules and stays responsive. One job per
 * worker at a time; workers start on demand. A worker that dies fails only the job it held and
 * is replaced.
 */
export class DecodePool {
  readonly size: number;
  private readonly workerModule: URL;
  private readonly slots = new Set<Slot>();
  private readonly queue: PendingJob[] = [];
  private readonly decodeLock: DecodeLock;
  private nextId = 1;
  private closed = false;

  constructor(options: DecodePoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? availableParallelism() - 1));
    this.workerModule = options.workerModule ?? DEFAULT_WORKER_MODULE;
    this.decodeLock = new DecodeLock(DecodeLock.createBuffer(this.size));
  }

  process(job: PhotoJob): Promise<ProcessedPhoto | FailedPhoto> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  /** Stop all workers; jobs still queued or running are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('decode pool closed'));
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.idleSlot() ?? (this.slots.size < this.size ? this.spawn() : undefined);
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.current = pending;
      slot.worker.ref();
      const request: WorkerRequest = { id: pending.id, job: pending.job };
      slot.worker.postMessage(request);
    }
  }

  private freeLockSlot(): number {
    const used = new Set([...this.slots].map((slot) => slot.lockSlot));
    let index = 0;
    while (used.has(index)) index++;
    return index;
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (!slot.current) return slot;
    return undefined;
  }

  private spawn(): Slot {
    const lockSlot = this.freeLockSlot();
    const workerData: DecodeWorkerData = {
      decodeLock: { buffer: this.decodeLock.buffer, slot: lockSlot },
    };
    const worker = startWorker(this.workerModule, workerData);
    const { threadId } = worker; // read now: it is no longer available once the thread exited
    const slot: Slot = { worker, lockSlot, current: undefined, failure: undefined };
    this.slots.add(slot);
    worker.on('message', (response: WorkerResponse) => {
      const pending = slot.current;
      if (pending?.id !== response.id) return;
      slot.current = undefined;
      // An idle worker must not keep the process alive (e.g. a CLI that forgot close()).
      worker.unref();
      if ('result' in response) pending.resolve(response.result);
      else pending.reject(new Error(`decoding ${pending.job.path} failed: ${response.error}`));
      this.pump();
    });
    worker.on('error', (error) => {
      slot.failure = error.message;
    });
    worker.on('exit', (code) => {
      this.slots.delete(slot);
      this.decodeLock.releaseAllOf(lockSlot, threadId); // in case it died holding the lock
      const pending = slot.current;
      slot.current = undefined;
      if (pending) {
        const why = this.closed
          ? 'the decode pool was closed'
          : `the decode worker crashed (${slot.failure ?? `exit code ${code}`})`;
        pending.reject(new DecodeWorkerCrashedError(`${pending.job.path} was not decoded: ${why}`));
      }
      this.pump(); // replaces the worker if jobs are waiting
    });
    return slot;
  }
}
