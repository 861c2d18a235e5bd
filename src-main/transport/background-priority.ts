// The core runs below normal priority. Indexing keeps every core busy for hours; at a lower
// priority the shell (window, IPC, photo protocol) and the rest of the desktop still get the CPU
// first, and indexing simply uses what is left. service-process.ts imports this module first.
// SIGHTLINE_SERVICE_PRIORITY=normal opts out.
import { readdirSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

/**
 * Linux keeps the nice value per thread, and a new thread inherits it from the thread that
 * creates it. Threads already exist at this point (V8's platform threads, libuv's pool, which
 * later starts sharp's and onnxruntime's threads), so each one is lowered: every thread created
 * afterwards descends from a lowered one. Elsewhere the priority belongs to the process.
 */
export function lowerProcessPriority(priority = constants.priority.PRIORITY_BELOW_NORMAL): void {
  if (process.platform !== 'linux') {
    setPriority(priority);
    return;
  }
  for (const threadId of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(threadId), priority);
    } catch {
      // The thread ended between listing and lowering.
    }
  }
}

if (process.env.SIGHTLINE_SERVICE_PRIORITY !== 'normal') {
  try {
    lowerProcessPriority();
  } catch (error) {
    console.warn('sightline service: could not lower the process priority:', error);
  }
}
