// Test-only worker: answers with the greeting it was started with (proves a .ts entry ran).
import { parentPort, workerData } from 'node:worker_threads';

parentPort?.postMessage({ greeting: (workerData as { greeting: string }).greeting });
