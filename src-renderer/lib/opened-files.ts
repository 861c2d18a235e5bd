// Files opened with Sightline ("Open with"), shown one at a time: the latest batch comes first
// (the user just asked for it), and a file announced twice (start-up list and event) shows once.
import type { OpenedFile } from '../../src-main/shared/contract.ts';

export function addOpened(
  queue: readonly OpenedFile[],
  incoming: readonly OpenedFile[],
): OpenedFile[] {
  const fresh = incoming.filter(
    (file, index) =>
      !queue.some((queued) => queued.url === file.url) &&
      incoming.findIndex((other) => other.url === file.url) === index,
  );
  return [...fresh, ...queue];
}

export function dropOpened(queue: readonly OpenedFile[], url: string): OpenedFile[] {
  return queue.filter((file) => file.url !== url);
}
