import { HubError } from './errors.ts';

/**
 * Runs `work` over `items` with at most `concurrency` at once. On the first failure the shared
 * controller is aborted (so running downloads stop and keep their partial files) and that first
 * error is thrown once everything has settled.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  controller: AbortController,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length && !controller.signal.aborted) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
        controller.abort();
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failures.length > 0) throw toError(failures[0]);
  // Cancelled between two items: nothing failed, but not everything ran.
  if (next < items.length) throw new HubError('aborted', 'download cancelled');
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
