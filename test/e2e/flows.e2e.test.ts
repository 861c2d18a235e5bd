// User flows through the real UI, located by the data-testid attributes the renderer provides.
// One fresh library for the whole file: the tests run in order, each continuing the last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src-main/shared/app-events.ts';
import { CHROMIUM_MISSING, startE2eApp, type E2eApp } from './harness.ts';
import { recordedStatuses, recordStatuses } from './status-recorder.ts';

const byTestId = (id: string): string => `[data-testid="${id}"]`;

type AnswerDone = Extract<AppEvent, { type: 'answer-done' }>;
type AnswerToken = Extract<AppEvent, { type: 'answer-token' }>;
const isAnswerDone = (e: AppEvent): e is AnswerDone => e.type === 'answer-done';
const isAnswerToken = (e: AppEvent): e is AnswerToken => e.type === 'answer-token';

/** The core's events from now on, seen by a Node-side client of the same server. */
async function collectEvents(app: E2eApp): Promise<{ untilDone: () => Promise<AppEvent[]> }> {
  const events: AppEvent[] = [];
  const unsubscribe = app.api.subscribe((event) => events.push(event));
  // Calls wait for the event stream to connect, so after this one no event can be missed.
  await app.api.getVersion();
  return {
    /** Every event up to the first `answer-done` (this client's stream may trail the page's). */
    untilDone: async () => {
      await expect.poll(() => events.some(isAnswerDone)).toBe(true);
      unsubscribe();
      return events;
    },
  };
}

describe.skipIf(CHROMIUM_MISSING !== null)('e2e flows through the UI', () => {
  let app: E2eApp;
  let closeApp: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    app = await startE2eApp();
    closeApp = app.close;
  });
  afterAll(async () => {
    await closeApp?.();
  });

  it('first run → add folder → indexing progress is visible until it finishes', async () => {
    const { page } = app;
    await page.goto(app.url);
    await page.locator(byTestId('first-run')).waitFor();
    await app.screenshot('10-first-run');

    await page.locator(byTestId('add-folder-input')).fill(app.photos);
    await page.locator(byTestId('add-folder-submit')).click();
    await expect
      .poll(async () => (await app.api.listRoots()).map((r) => r.path))
      .toContain(app.photos);

    // Armed before the click: a busy state shown for any frame is caught.
    const busyShown = page
      .locator(`${byTestId('indexing-progress')}:not([data-state="idle"])`)
      .waitFor();
    await page.locator(byTestId('indexing-start')).click();
    await busyShown;
    await app.screenshot('11-indexing-progress');

    await page.locator(`${byTestId('indexing-progress')}[data-state="idle"]`).waitFor();
    await expect.poll(async () => (await app.api.getIndexingStatus()).state).toBe('idle');
    const status = await app.api.getIndexingStatus();
    expect(status.photos).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator(byTestId('indexing-summary')).textContent())
      .toContain(`${status.photos} photos`);
    expect(app.pageErrors).toEqual([]);
  });

  it('lists every file that failed to index', async () => {
    const errors = await app.api.listErrors();
    expect(errors.length).toBeGreaterThan(0);
    const items = app.page.locator(`${byTestId('error-list')} ${byTestId('error-item')}`);
    await expect.poll(() => items.count()).toBe(errors.length);
    for (const error of errors) {
      await expect.poll(() => items.filter({ hasText: error.path }).count()).toBe(1);
    }
    await app.screenshot('12-error-list');
  });

  it('search shows ranked results in the grid', async () => {
    const { page } = app;
    const box = page.locator(byTestId('search-box'));
    await box.fill('a cat');
    await box.press('Enter');
    const results = page.locator(`${byTestId('search-results')} ${byTestId('grid-item')}`);
    await results.first().waitFor();
    expect(await results.count()).toBeGreaterThan(0);
    expect(await results.count()).toBeLessThanOrEqual((await app.api.getIndexingStatus()).photos);
    await app.screenshot('13-search-results');
    expect(app.pageErrors).toEqual([]);
  });

  it('photo view: a question streams its answer into the conversation', async () => {
    const { page } = app;
    await page.locator(byTestId('grid-item')).first().click();
    await page.locator(byTestId('photo-view')).waitFor();
    const events = await collectEvents(app);
    await recordStatuses(page, 'answer-text');
    await page.locator(byTestId('ask-input')).fill('what is in the picture?');
    await page.locator(byTestId('ask-submit')).click();

    const answer = page.locator(`${byTestId('answer-text')}[data-status="done"]`);
    await answer.waitFor();
    const seen = await events.untilDone();
    const done = seen.find(isAnswerDone);
    expect(done).toBeDefined();
    const tokens = seen.filter(isAnswerToken).filter((e) => e.requestId === done?.requestId);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.map((t) => t.text).join('')).toBe(done?.answer);
    expect((await answer.textContent())?.trim()).toBe(done?.answer.trim());
    expect(await recordedStatuses(page, 'answer-text')).toEqual(['streaming', 'done']);
    await app.screenshot('14-photo-view-answer');
    await page.locator(byTestId('photo-close')).click();
    await page.locator(byTestId('photo-view')).waitFor({ state: 'detached' });
    expect(app.pageErrors).toEqual([]);
  });

  it('grid context menu: Describe streams a caption that can be kept', async () => {
    const { page } = app;
    const item = page.locator(byTestId('grid-item')).first();
    const photoId = Number(await item.getAttribute('data-photo-id'));
    expect(photoId).toBeGreaterThan(0);
    await item.click({ button: 'right' });
    await page.locator(byTestId('context-menu')).waitFor();
    await app.screenshot('15-context-menu');
    const events = await collectEvents(app);
    await recordStatuses(page, 'describe-text');
    await page.locator(byTestId('context-menu-describe')).click();

    const text = page.locator(`${byTestId('describe-text')}[data-status="done"]`);
    await text.waitFor();
    const caption = (await events.untilDone()).find(isAnswerDone)?.answer.trim();
    expect(caption).toBeDefined();
    expect((await text.textContent())?.trim()).toBe(caption);
    expect(await recordedStatuses(page, 'describe-text')).toEqual(['streaming', 'done']);
    await app.screenshot('16-describe');

    await page.locator(byTestId('describe-keep')).click();
    await expect
      .poll(async () => (await app.api.getPhoto({ photoId })).caption.text.trim())
      .toBe(caption);
    expect(app.pageErrors).toEqual([]);
  });
});
