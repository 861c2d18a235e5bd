// User flows through the real UI, located by the data-testid attributes the renderer provides.
// One fresh library for the whole file: the tests run in order, each continuing the last.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src-main/shared/app-events.ts';
import type { FileError, SearchFilters, TagCount } from '../../src-main/shared/contract.ts';
import type { LibraryStatus } from '../../src-main/library/queries/library-queries.ts';
import { runSightline } from '../support/run-cli.ts';
import { seriousViolations, type AxeFinding } from './accessibility.ts';
import { CHROMIUM_MISSING, startE2eApp, type E2eApp } from './harness.ts';
import { recordedStatuses, recordStatuses } from './status-recorder.ts';

const byTestId = (id: string): string => `[data-testid="${id}"]`;

type AnswerDone = Extract<AppEvent, { type: 'answer-done' }>;
type AnswerToken = Extract<AppEvent, { type: 'answer-token' }>;
const isAnswerDone = (e: AppEvent): e is AnswerDone => e.type === 'answer-done';
const isAnswerToken = (e: AppEvent): e is AnswerToken => e.type === 'answer-token';

/** `sightline <command> --db <the e2e library> --json`, exactly as a user would run it. */
async function cliJson<T>(app: E2eApp, command: string): Promise<T> {
  const result = await runSightline(process.env, command, '--db', app.databasePath, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** The `data-count` of every element with this test id, in page order. */
async function countsOf(page: Page, testId: string): Promise<number[]> {
  return page
    .locator(byTestId(testId))
    .evaluateAll((nodes) => nodes.map((node) => Number((node as HTMLElement).dataset.count)));
}

/** Photo ids the library grid shows, sorted (all of them: the test library fits the viewport). */
async function gridIds(page: Page): Promise<number[]> {
  const ids = await page
    .locator(`${byTestId('photo-grid')} ${byTestId('grid-item')}`)
    .evaluateAll((cells) => cells.map((cell) => Number((cell as HTMLElement).dataset.photoId)));
  return ids.sort((a, b) => a - b);
}

async function listedIds(app: E2eApp, filters: SearchFilters): Promise<number[]> {
  const page = await app.api.listPhotos({ offset: 0, limit: 1000, filters, stacked: true });
  return page.photos.map((photo) => photo.photoId).sort((a, b) => a - b);
}

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

/**
 * Holds the page's next `listPhotos` call until released: `started` resolves once the page has
 * sent it, so a test can act while a library reload is in flight without guessing at timings.
 */
async function holdNextListPhotos(
  page: Page,
): Promise<{ started: Promise<void>; release: () => Promise<void> }> {
  const pattern = '**/api/listPhotos';
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let letGo!: () => void;
  const released = new Promise<void>((resolve) => (letGo = resolve));
  const held: Promise<void>[] = [];
  await page.route(pattern, (route) => {
    markStarted();
    const passed = released.then(() => route.continue());
    held.push(passed);
    return passed;
  });
  return {
    started,
    release: async () => {
      letGo();
      await Promise.all(held);
      await page.unroute(pattern);
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

  it('first run → add folder → indexing starts by itself and the library shows its progress', async () => {
    const { page } = app;
    await page.goto(app.url);
    await page.locator(`${byTestId('first-run')}[data-step="folders"]`).waitFor();
    await app.screenshot('10-first-run');
    // The first run follows the system theme: scanned in both.
    const firstRunFindings: Record<string, AxeFinding[]> = {};
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      firstRunFindings[colorScheme] = await seriousViolations(page);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(firstRunFindings).toEqual({ light: [], dark: [] });

    // The browser build has no folder picker: Browse… says so and the path field is used.
    await page.locator(byTestId('add-folder-browse')).click();
    await page.locator(byTestId('add-folder-no-picker')).waitFor();
    await page.locator(byTestId('add-folder-input')).fill(app.photos);
    await page.locator(byTestId('add-folder-submit')).click();
    await expect
      .poll(async () => (await app.api.listRoots()).map((r) => r.path))
      .toContain(app.photos);
    await page.locator(byTestId('root-list')).getByText(app.photos).waitFor();

    // The models are in place, so Continue goes straight to indexing and then the library.
    // Armed before the click: a busy state shown for any frame is caught.
    const busyShown = page
      .locator(`${byTestId('indexing-strip')}:not([data-state="idle"])`)
      .waitFor();
    await page.locator(byTestId('first-run-continue')).click();
    await busyShown;
    expect(await page.locator(byTestId('first-run')).count()).toBe(0);
    await app.screenshot('11-indexing-progress');

    await page.locator(`${byTestId('indexing-strip')}[data-state="idle"]`).waitFor();
    await expect.poll(async () => (await app.api.getIndexingStatus()).state).toBe('idle');
    const status = await app.api.getIndexingStatus();
    expect(status.photos).toBeGreaterThan(0);
    // The sidebar followed indexing (no reload): the library's folders and tags are listed.
    const tags = await cliJson<TagCount[]>(app, 'tags');
    expect(tags.length).toBeGreaterThan(0);
    const sidebarTags = page.locator(byTestId('sidebar-tag'));
    await expect.poll(() => sidebarTags.count()).toBe(tags.length);
    expect(await countsOf(page, 'sidebar-tag-count')).toEqual(tags.map((t) => t.count));
    const folders = await app.api.listFolders();
    expect(folders.length).toBeGreaterThan(0);
    await expect
      .poll(() =>
        page
          .locator(byTestId('sidebar-folder'))
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('title'))),
      )
      .toEqual(folders.map((f) => f.path));
    expect(await countsOf(page, 'sidebar-folder-count')).toEqual(folders.map((f) => f.photos));
    await app.screenshot('11b-library-after-indexing');
    expect(app.pageErrors).toEqual([]);
  });

  it('every count on the Indexing screen agrees with `sightline status` and `sightline errors`', async () => {
    const { page } = app;
    const status = await cliJson<LibraryStatus>(app, 'status');
    const errors = await cliJson<FileError[]>(app, 'errors');
    expect(status.photos).toBeGreaterThan(0);
    expect(status.errors).toBe(errors.length);
    expect(errors.length).toBeGreaterThan(0);

    // The strip above the grid says the same before the Indexing screen is opened.
    const strip = page.locator(byTestId('indexing-strip-summary'));
    await expect.poll(() => strip.textContent()).toContain(`${status.photos} photos`);
    expect(await strip.textContent()).toContain(`${status.errors} files could not be indexed`);

    await page.locator(byTestId('nav-indexing')).click();
    const counts = {
      photos: await countsOf(page, 'count-photos'),
      files: await countsOf(page, 'count-files'),
      pending: await countsOf(page, 'count-pending'),
      errors: await countsOf(page, 'count-errors'),
      progressErrors: await countsOf(page, 'progress-errors'),
      rootFiles: await countsOf(page, 'root-files'),
    };
    expect(counts).toEqual({
      photos: [status.photos],
      files: [status.files],
      pending: [status.pending],
      errors: [status.errors],
      progressErrors: [status.errors],
      // One library folder holds every file.
      rootFiles: [status.files],
    });
    await expect
      .poll(async () => (await countsOf(page, 'error-group-count')).reduce((a, b) => a + b, 0))
      .toBe(errors.length);
    expect(await page.locator(byTestId('errors-heading-count')).textContent()).toBe(
      String(errors.length),
    );
    // Speed and time left are only shown while a run goes.
    expect(await page.locator(byTestId('indexing-speed')).count()).toBe(0);
    expect(await page.locator(byTestId('indexing-last-run')).textContent()).toContain(
      'Last run finished',
    );
    await app.screenshot('12-indexing-counts');
    expect(app.pageErrors).toEqual([]);
  });

  it('errors are grouped by a human reason; Try again re-runs a group', async () => {
    const { page } = app;
    const errors = await app.api.listErrors();
    const cli = await cliJson<FileError[]>(app, 'errors');
    expect(errors.map((e) => e.path)).toEqual(cli.map((e) => e.path));
    const kinds = [...new Set(errors.map((e) => e.kind))];
    // The test library's bad files fail in several ways, and at least one way twice.
    expect(kinds.length).toBeGreaterThan(1);
    expect(kinds.length).toBeLessThan(errors.length);

    const groups = page.locator(`${byTestId('error-list')} ${byTestId('error-group')}`);
    await expect.poll(() => groups.count()).toBe(kinds.length);
    for (const kind of kinds) {
      const inKind = errors.filter((e) => e.kind === kind);
      const group = page.locator(`${byTestId('error-group')}[data-kind="${kind}"]`);
      expect(await group.locator(byTestId('error-group-reason')).textContent()).toBe(
        inKind[0]?.summary,
      );
      expect(await group.locator(byTestId('error-group-count')).getAttribute('data-count')).toBe(
        String(inKind.length),
      );
      const items = group.locator(byTestId('error-item'));
      expect(await items.count()).toBe(inKind.length);
      for (const error of inKind) {
        // The path is shown once: not again in the reason or the detail.
        const item = items.filter({ hasText: error.path });
        expect(await item.count()).toBe(1);
        expect((await item.textContent())?.split(error.path).length).toBe(2);
      }
    }
    // The technical detail waits behind a disclosure.
    const cutOff = page.locator(`${byTestId('error-group')}[data-kind="truncated"]`);
    const detail = cutOff.locator(byTestId('error-detail')).first();
    expect(await detail.isVisible()).toBe(false);
    await cutOff.locator('summary').first().click();
    await detail.waitFor({ state: 'visible' });
    await app.screenshot('12b-error-groups');

    // Try again: the group's files run again (and, still broken, fail the same way).
    const runs = (await app.api.getIndexingStatus()).lastRun?.finishedAt ?? 0;
    await cutOff.locator(byTestId('error-group-retry')).click();
    await expect
      .poll(async () => (await app.api.getIndexingStatus()).lastRun?.finishedAt ?? 0)
      .toBeGreaterThan(runs);
    const again = await app.api.getIndexingStatus();
    expect(again.lastRun).toMatchObject({
      state: 'done',
      analysed: 0,
      errors: errors.filter((e) => e.kind === 'truncated').length,
    });
    await expect
      .poll(async () => (await countsOf(page, 'error-group-count')).reduce((a, b) => a + b, 0))
      .toBe(errors.length);
    await page.locator(`${byTestId('indexing-progress')}[data-state="idle"]`).waitFor();

    // Show in folder: the browser build cannot reach a file manager, so it gives the path.
    await cutOff.locator(byTestId('error-show')).first().click();
    await expect
      .poll(() => page.locator(byTestId('error-message')).textContent())
      .toContain(errors.find((e) => e.kind === 'truncated')?.path);
    expect(app.pageErrors).toEqual([]);
  });

  it('copies of one picture (PNG/HEIC, PNG/AVIF) form one stack in the grid and in results', async () => {
    const { page } = app;
    const stacks = await app.api.listDuplicates();
    const stackOf = (name: string) =>
      stacks.find((stack) =>
        stack.members.some((m) => m.paths.some((p) => p.endsWith(`/misc/${name}`))),
      );
    const copiesOf = (stack: (typeof stacks)[number]): number =>
      stack.members.reduce((sum, m) => sum + m.paths.length, 0);
    const astronaut = stackOf('astronaut.heic');
    const coffee = stackOf('coffee.avif');
    expect(astronaut).toBe(stackOf('astronaut.png'));
    expect(coffee).toBe(stackOf('coffee.png'));

    await page.locator(byTestId('nav-library')).click();
    const grid = page.locator(byTestId('photo-grid'));
    await grid.locator(byTestId('grid-item')).first().waitFor();
    for (const stack of [astronaut!, coffee!]) {
      const ids = stack.members.map((m) => m.photoId);
      await expect
        .poll(async () => (await gridIds(page)).filter((id) => ids.includes(id)))
        .toEqual([stack.shownPhotoId]);
      const badge = grid.locator(
        `${byTestId('grid-item')}[data-photo-id="${stack.shownPhotoId}"] ${byTestId('grid-item-stack')}`,
      );
      expect(await badge.getAttribute('data-count')).toBe(String(copiesOf(stack)));
    }
    await app.screenshot('21-library-stacks');

    // Results: one hit per stack, with the same badge.
    const box = page.locator(byTestId('search-box'));
    await box.fill('a photo');
    await box.press('Enter');
    const results = page.locator(`${byTestId('search-results')} ${byTestId('grid-item')}`);
    await results.first().waitFor();
    const hitIds = await results.evaluateAll((cells) =>
      cells.map((cell) => Number((cell as HTMLElement).dataset.photoId)),
    );
    for (const stack of stacks) {
      const inResults = hitIds.filter((id) => stack.members.some((m) => m.photoId === id));
      expect(inResults.length).toBeLessThanOrEqual(1);
      if (inResults.length === 1) {
        expect(inResults).toEqual([stack.shownPhotoId]);
        const badge = page.locator(
          `${byTestId('search-results')} [data-photo-id="${stack.shownPhotoId}"] ${byTestId('grid-item-stack')}`,
        );
        expect(await badge.getAttribute('data-count')).toBe(String(copiesOf(stack)));
      }
    }
    // The test library is small: every picture is a hit, so both stacks were checked above.
    expect(hitIds).toContain(astronaut!.shownPhotoId);
    expect(hitIds).toContain(coffee!.shownPhotoId);
    await app.screenshot('22-results-stacks');
    await box.fill('');
    await box.press('Enter');

    // Review duplicates: every stack listed; choosing another copy shows it in the grid.
    await page.locator(byTestId('nav-duplicates')).click();
    await expect.poll(() => page.locator(byTestId('duplicate-stack')).count()).toBe(stacks.length);
    await app.screenshot('23-review-duplicates');
    const other = astronaut!.members.find((m) => m.photoId !== astronaut!.shownPhotoId)!.photoId;
    await page
      .locator(
        `${byTestId('duplicate-member')}[data-photo-id="${other}"] ${byTestId('duplicate-show')}`,
      )
      .check();
    await expect
      .poll(
        async () =>
          (await app.api.listDuplicates()).find((s) => s.members.some((m) => m.photoId === other))
            ?.shownPhotoId,
      )
      .toBe(other);
    await page.locator(byTestId('nav-library')).click();
    const ids = astronaut!.members.map((m) => m.photoId);
    await expect
      .poll(async () => (await gridIds(page)).filter((id) => ids.includes(id)))
      .toEqual([other]);
    expect(app.pageErrors).toEqual([]);
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

  it('the library grid honours folder, date and camera filters', async () => {
    const { page } = app;
    await page.keyboard.press('Escape');
    await page.locator(byTestId('photo-view')).waitFor({ state: 'detached' });
    const box = page.locator(byTestId('search-box'));
    await box.fill('');
    await box.press('Enter');
    const everything = await listedIds(app, {});
    await expect.poll(() => gridIds(page)).toEqual(everything);

    const camera = page.locator(byTestId('filter-camera'));
    await camera.fill('Canon');
    await camera.press('Tab');
    const canon = await listedIds(app, { camera: 'Canon' });
    expect(canon.length).toBeGreaterThan(0);
    expect(canon.length).toBeLessThan(everything.length);
    await expect.poll(() => gridIds(page)).toEqual(canon);

    // A month that holds a dated photo the grid shows, from the core’s own listing.
    const dated = (await app.api.listPhotos({ offset: 0, limit: 1000, stacked: true })).photos.find(
      (photo) => photo.takenAt !== null,
    );
    expect(dated).toBeDefined();
    const month = dated?.takenAt?.slice(0, 7) ?? '';
    await camera.fill('');
    await camera.press('Tab');
    await page.locator(byTestId('filter-from')).fill(month);
    await page.locator(byTestId('filter-to')).fill(month);
    await page.locator(byTestId('filter-to')).press('Tab');
    const inMonth = await listedIds(app, { from: month, to: month });
    expect(inMonth).toContain(dated?.photoId);
    await expect.poll(() => gridIds(page)).toEqual(inMonth);
    await app.screenshot('17-library-filtered');

    await camera.fill('no camera is called this');
    await camera.press('Tab');
    await page.locator(byTestId('clear-filters')).waitFor();
    await app.screenshot('18-library-no-match');
    await page.locator(byTestId('clear-filters')).click();
    await expect.poll(() => gridIds(page)).toEqual(everything);

    const folder = page.locator(byTestId('sidebar-folder')).first();
    const folderPath = await folder.getAttribute('title');
    expect(folderPath).toBeTruthy();
    await folder.click();
    const inFolder = await listedIds(app, { folder: folderPath ?? '' });
    expect(inFolder.length).toBeGreaterThan(0);
    await expect.poll(() => gridIds(page)).toEqual(inFolder);
    await page.locator(byTestId('filter-chip-remove')).click();
    await expect.poll(() => gridIds(page)).toEqual(everything);
    expect(app.pageErrors).toEqual([]);
  });

  it('context menu: Show in folder gives the path where no file manager can be asked', async () => {
    const { page } = app;
    const item = page.locator(byTestId('grid-item')).first();
    const photoId = Number(await item.getAttribute('data-photo-id'));
    await item.click({ button: 'right' });
    await page.locator(byTestId('context-menu-show-in-folder')).click();
    const expected = await app.api.showInFolder({ photoId });
    expect(expected.revealed).toBe(false);
    await expect
      .poll(() => page.locator(byTestId('notice')).textContent())
      .toContain(expected.path);
    await app.screenshot('19-show-in-folder');
    await page.locator(byTestId('notice-dismiss')).click();
    expect(app.pageErrors).toEqual([]);
  });

  it('keyboard: arrows move, Enter opens, Escape closes, the context-menu key opens the menu', async () => {
    const { page } = app;
    const grid = page.locator(byTestId('photo-grid'));
    await grid.focus();
    const focusedId = (): Promise<string | null> =>
      page.locator(`${byTestId('grid-item')}[aria-selected="true"]`).getAttribute('data-photo-id');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    const second = await page.locator(byTestId('grid-item')).nth(1).getAttribute('data-photo-id');
    await expect.poll(focusedId).toBe(second);
    expect(second).not.toBe(null);

    await page.keyboard.press('Enter');
    await page.locator(byTestId('photo-view')).waitFor();
    const shown = await app.api.getPhoto({ photoId: Number(second) });
    await expect
      .poll(() => page.locator(byTestId('photo-image')).getAttribute('src'))
      .toBe(shown.originalUrl);
    await page.keyboard.press('Escape');
    await page.locator(byTestId('photo-view')).waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'photo-grid',
    );

    // An edit elsewhere makes the grid refetch its pages. Held mid-flight, that reload must not
    // blank the grid under the keyboard focus (it did: the menu key then found no photo).
    const reload = await holdNextListPhotos(page);
    await app.api.addTag({ photoId: Number(second), tag: 'keyboard-flow' });
    await reload.started;

    // Focus went back to the grid: the context-menu key works on the same photo.
    await page.keyboard.press('ContextMenu');
    await page.locator(byTestId('context-menu')).waitFor();
    await page.keyboard.press('Escape');
    await page.locator(byTestId('context-menu')).waitFor({ state: 'detached' });
    // Closing the menu gives the focus back to the grid, on the same photo.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'photo-grid',
    );
    expect(await focusedId()).toBe(second);
    await reload.release();
    await app.api.removeTag({ photoId: Number(second), tag: 'keyboard-flow' });
    expect(app.pageErrors).toEqual([]);
  });

  it('Open with: a photo outside the library is shown and its caption streams in', async () => {
    const { page } = app;
    const outside = mkdtempSync(join(tmpdir(), 'sightline-e2e-opened-'));
    try {
      const file = join(outside, 'opened rocket.jpg');
      copyFileSync(join(app.photos, 'library', 'misc', 'rocket.jpg'), file);
      expect((await app.api.listRoots()).some((root) => file.startsWith(root.path))).toBe(false);

      const events = await collectEvents(app);
      await recordStatuses(page, 'opened-caption');
      const opened = await app.openFiles([file]);
      expect(opened.map((entry) => entry.path)).toEqual([file]);

      await page.locator(byTestId('opened-file-view')).waitFor();
      const caption = page.locator(`${byTestId('opened-caption')}[data-status="done"]`);
      await caption.waitFor();
      const done = (await events.untilDone()).find(isAnswerDone);
      expect(done).toBeDefined();
      expect((await caption.textContent())?.trim()).toBe(done?.answer.trim());
      expect(await recordedStatuses(page, 'opened-caption')).toEqual(['streaming', 'done']);
      const image = page.locator(byTestId('opened-image'));
      await expect
        .poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth))
        .toBeGreaterThan(0);
      await app.screenshot('20-opened-file');

      await page.locator(byTestId('opened-close')).click();
      await page.locator(byTestId('opened-file-view')).waitFor({ state: 'detached' });
      expect(app.pageErrors).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('every screen passes an accessibility scan (axe-core) in both themes', async () => {
    const { page } = app;
    const findings: Record<string, AxeFinding[]> = {};
    const scan = async (screen: string): Promise<void> => {
      const found = await seriousViolations(page);
      if (found.length > 0) findings[screen] = found;
    };
    const toggle = page.locator(byTestId('theme-toggle'));
    const box = page.locator(byTestId('search-box'));
    for (const theme of ['light', 'dark'] as const) {
      while ((await toggle.textContent())?.trim() !== `Theme: ${theme}`) await toggle.click();
      await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });

      await page.locator(byTestId('nav-library')).click();
      await box.fill('');
      await box.press('Enter');
      await page
        .locator(`${byTestId('photo-grid')} ${byTestId('grid-item')}`)
        .first()
        .waitFor();
      await scan(`${theme}: library`);
      await app.screenshot(`40-${theme}-library`);

      await box.fill('a cat');
      await box.press('Enter');
      await page
        .locator(`${byTestId('search-results')} ${byTestId('grid-item')}`)
        .first()
        .waitFor();
      await scan(`${theme}: search results`);

      const item = page.locator(byTestId('grid-item')).first();
      await item.click({ button: 'right' });
      await page.locator(byTestId('context-menu')).waitFor();
      await scan(`${theme}: context menu`);
      await page.keyboard.press('Escape');
      await page.locator(byTestId('context-menu')).waitFor({ state: 'detached' });

      await item.click();
      await page.locator(byTestId('photo-view')).waitFor();
      await page.locator(byTestId('photo-image')).waitFor();
      await scan(`${theme}: photo view`);
      await app.screenshot(`41-${theme}-photo-view`);
      await page.keyboard.press('Escape');
      await page.locator(byTestId('photo-view')).waitFor({ state: 'detached' });

      await page.locator(byTestId('nav-indexing')).click();
      await page
        .locator(`${byTestId('error-list')} ${byTestId('error-group')}`)
        .first()
        .waitFor();
      await scan(`${theme}: indexing`);
      await app.screenshot(`42-${theme}-indexing`);

      await page.locator(byTestId('nav-duplicates')).click();
      await page.locator(byTestId('duplicate-stack')).first().waitFor();
      await scan(`${theme}: review duplicates`);

      await page.locator(byTestId('nav-models')).click();
      await page.locator(byTestId('model-entry')).first().waitFor();
      await scan(`${theme}: models`);
      await app.screenshot(`43-${theme}-models`);
    }
    while ((await toggle.textContent())?.trim() !== 'Theme: system') await toggle.click();
    expect(findings).toEqual({});
    expect(app.pageErrors).toEqual([]);
  });
});
