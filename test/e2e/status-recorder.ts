// Records every `data-status` a test id's element shows, from inside the page. A MutationObserver
// sees states that last less than a frame, which polling from the test (per frame) could miss.
import type { Page } from 'playwright-core';

interface RecorderWindow {
  sightlineE2eStatuses?: Record<string, string[]>;
}

export async function recordStatuses(page: Page, testId: string): Promise<void> {
  await page.evaluate((id) => {
    const store = ((window as RecorderWindow).sightlineE2eStatuses ??= {});
    const seen: string[] = (store[id] = []);
    const note = (): void => {
      const status = document.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.dataset.status;
      if (status !== undefined && seen.at(-1) !== status) seen.push(status);
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status'],
    });
    note();
  }, testId);
}

/** The distinct statuses seen since `recordStatuses`, in order. */
export function recordedStatuses(page: Page, testId: string): Promise<string[]> {
  return page.evaluate((id) => (window as RecorderWindow).sightlineE2eStatuses?.[id] ?? [], testId);
}
