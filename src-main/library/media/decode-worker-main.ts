// Entry module of the decode pool's worker threads.
import { serveDecodeJobs } from './decode-worker.ts';

serveDecodeJobs();
