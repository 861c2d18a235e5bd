// The guided first run from an empty machine: no folders, no models. The models come from a fake
// Hugging Face hub on loopback (tiny fixture checkpoints), are downloaded and converted with
// progress shown, then indexing starts by itself and search works.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './accessibility.ts';
import { CHROMIUM_MISSING, startE2eApp, type E2eApp } from './harness.ts';

const byTestId = (id: string): string => `[data-testid="${id}"]`;

interface PhaseWindow {
  sightlineE2ePhases?: string[];
}

/** Records, inside the page, every phase a model-setup progress element shows (even for a frame). */
async function recordPhases(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = ((window as PhaseWindow).sightlineE2ePhases = []);
    const note = (): void => {
      document
        .querySelectorAll<HTMLElement>('[data-testid="model-setup-progress"]')
        .forEach((element) => {
          const phase = element.dataset.phase;
          if (phase !== undefined && !seen.includes(phase)) seen.push(phase);
        });
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-phase'],
    });
  });
}

function recordedPhases(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as PhaseWindow).sightlineE2ePhases ?? []);
}

describe.skipIf(CHROMIUM_MISSING !== null)('e2e first run (models from the hub)', () => {
  let app: E2eApp;
  let closeApp: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    app = await startE2eApp({ models: 'hub' });
    closeApp = app.close;
  });
  afterAll(async () => {
    await closeApp?.();
  });

  it('folders → model setup with progress → indexing by itself → search', async () => {
    const { page } = app;
    const hub = app.hub;
    expect(hub).not.toBeNull();
    const before = await app.api.getModelStatus();
    expect(before.caption.ready && before.search.ready).toBe(false);

    await page.goto(app.url);
    await page.locator(`${byTestId('first-run')}[data-step="folders"]`).waitFor();
    await app.screenshot('30-first-run-folders');
    await page.locator(byTestId('add-folder-input')).fill(app.photos);
    await page.locator(byTestId('add-folder-submit')).click();
    await page.locator(byTestId('root-list')).getByText(app.photos).waitFor();
    await page.locator(byTestId('first-run-continue')).click();

    await page.locator(`${byTestId('first-run')}[data-step="models"]`).waitFor();
    await app.screenshot('31-first-run-models');
    expect(await seriousViolations(page)).toEqual([]);

    // The core's setup events, seen by a Node-side client (calls wait for its stream to connect).
    const phases: string[] = [];
    const unsubscribe = app.api.subscribe((event) => {
      if (event.type === 'model-setup-progress') phases.push(event.phase);
    });
    await app.api.getVersion();
    await recordPhases(page);

    // Hold the hub's file bodies so the download is caught in progress, then let them go.
    if (hub) hub.faults.holdUntilConcurrent = Number.MAX_SAFE_INTEGER;
    await page.locator(byTestId('setup-default-models')).click();
    await page
      .locator(`${byTestId('model-setup-progress')}[data-phase="download"]`)
      .first()
      .waitFor();
    await app.screenshot('32-first-run-downloading');
    // Downloading, in both system themes (the first run follows the system's).
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    hub?.releaseHeld();

    // Models ready → indexing starts by itself and the user lands in the library.
    await page.locator(byTestId('indexing-strip')).waitFor({ timeout: 90_000 });
    expect(await page.locator(byTestId('first-run')).count()).toBe(0);
    const after = await app.api.getModelStatus();
    expect(after.caption.ready && after.search.ready).toBe(true);
    await expect.poll(() => phases).toContain('convert');
    unsubscribe();
    expect(phases).not.toContain('error');
    // Conversion can be over within one frame, so the page is only required to have shown
    // live phases (download for sure, since the hub held it).
    const shown = await recordedPhases(page);
    expect(shown).toContain('download');
    expect(shown.every((phase) => phase === 'download' || phase === 'convert')).toBe(true);
    await app.screenshot('33-first-run-indexing');

    await page
      .locator(`${byTestId('indexing-strip')}[data-state="idle"]`)
      .waitFor({ timeout: 90_000 });
    const status = await app.api.getIndexingStatus();
    expect(status.state).toBe('idle');
    expect(status.photos).toBeGreaterThan(0);

    const box = page.locator(byTestId('search-box'));
    await box.fill('a photo');
    await box.press('Enter');
    const results = page.locator(`${byTestId('search-results')} ${byTestId('grid-item')}`);
    await results.first().waitFor();
    expect(await results.count()).toBeGreaterThan(0);
    await app.screenshot('34-first-run-search');
    expect(app.pageErrors).toEqual([]);
  }, 300_000);

  it('a returning user skips the first run', async () => {
    const { page } = app;
    await page.reload();
    await page.locator(byTestId('photo-grid')).waitFor();
    expect(await page.locator(byTestId('first-run')).count()).toBe(0);
    expect(app.pageErrors).toEqual([]);
  });
});
