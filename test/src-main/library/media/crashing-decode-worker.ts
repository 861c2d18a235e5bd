// Test-only worker module for the decode pool: behaves like the real one, except that a job whose
// file name starts with `crash-` kills the worker the way a native fault would.
import { serveDecodeJobs } from '../../../../src-main/library/media/decode-worker.ts';

serveDecodeJobs((job) => {
  if (job.path.endsWith('crash-exit.jpg')) process.exit(7);
  if (job.path.endsWith('crash-throw.jpg')) {
    // The job never finishes; an exception outside any promise chain (as a misbehaving native
    // callback would raise) takes the worker down while it holds the job.
    return new Promise<void>(() => {
      setImmediate(() => {
        throw new Error('simulated fault in the worker');
      });
    });
  }
  return undefined;
});
