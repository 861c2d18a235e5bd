import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_SIZE,
  clampToDisplays,
  defaultWindowState,
  loadWindowState,
  saveWindowState,
  trackWindowState,
  type Rectangle,
} from '../../../src-main/app/window-state.ts';

// A laptop screen with a taller monitor to its right (work areas exclude menu bars/docks).
const laptop: Rectangle = { x: 0, y: 25, width: 1440, height: 875 };
const monitor: Rectangle = { x: 1440, y: 0, width: 1920, height: 1200 };
const displays = [laptop, monitor];

function isInside(inner: Rectangle, outer: Rectangle): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

describe('clampToDisplays', () => {
  it('keeps bounds that already fit', () => {
    const bounds = { x: 1600, y: 100, width: 1000, height: 700 };
    expect(clampToDisplays(bounds, displays)).toEqual(bounds);
  });

  it('slides a window hanging off an edge back onto the display it mostly covers', () => {
    const bounds = { x: 3000, y: 900, width: 800, height: 600 };
    const clamped = clampToDisplays(bounds, displays);
    expect(isInside(clamped, monitor)).toBe(true);
    expect(clamped).toMatchObject({ width: 800, height: 600 });
  });

  it('shrinks a window larger than its display', () => {
    const clamped = clampToDisplays({ x: 10, y: 10, width: 3000, height: 2000 }, [laptop]);
    expect(clamped).toEqual(laptop);
  });

  it('centres a window from a monitor that is gone on the first display', () => {
    const clamped = clampToDisplays({ x: -5000, y: 0, width: 1000, height: 600 }, displays);
    expect(isInside(clamped, laptop)).toBe(true);
    expect(clamped.x - laptop.x).toBe(laptop.x + laptop.width - (clamped.x + clamped.width));
  });

  it('enforces the minimum size where it fits', () => {
    const clamped = clampToDisplays({ x: 100, y: 100, width: 50, height: 40 }, displays);
    expect(clamped.width).toBe(DEFAULT_WINDOW_SIZE.minWidth);
    expect(clamped.height).toBe(DEFAULT_WINDOW_SIZE.minHeight);
  });
});

describe('window state file', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sightline-window-state-'));
    file = path.join(dir, 'nested', 'window-state.json');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips bounds and the maximized flag', () => {
    const state = { bounds: { x: 1500, y: 50, width: 1000, height: 700 }, isMaximized: true };
    saveWindowState(file, state);
    expect(loadWindowState(file, displays)).toEqual(state);
  });

  it('fits the saved bounds to the displays present now', () => {
    saveWindowState(file, {
      bounds: { x: 2000, y: 100, width: 1000, height: 700 },
      isMaximized: false,
    });
    const onlyLaptop = loadWindowState(file, [laptop]);
    expect(isInside(onlyLaptop.bounds, laptop)).toBe(true);
  });

  it('falls back to the default for a missing, corrupt or invalid file', () => {
    const fallback = defaultWindowState(displays);
    expect(isInside(fallback.bounds, laptop)).toBe(true);
    expect(loadWindowState(file, displays)).toEqual(fallback);
    writeFileSync(path.join(dir, 'bad.json'), '{ not json');
    expect(loadWindowState(path.join(dir, 'bad.json'), displays)).toEqual(fallback);
    writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify({ bounds: { x: 'a' } }));
    expect(loadWindowState(path.join(dir, 'wrong.json'), displays)).toEqual(fallback);
  });

  it('saves the normal bounds when the tracked window closes', () => {
    let onClose: (() => void) | undefined;
    const bounds = { x: 1, y: 30, width: 900, height: 650 };
    trackWindowState(
      {
        getNormalBounds: () => bounds,
        isMaximized: () => false,
        on: (_event, listener) => {
          onClose = listener;
        },
      },
      file,
    );
    onClose?.();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ bounds, isMaximized: false });
  });

  it('reports a failed save instead of throwing from the close handler', () => {
    let onClose: (() => void) | undefined;
    const errors: unknown[] = [];
    trackWindowState(
      {
        getNormalBounds: () => ({ x: 0, y: 0, width: Number.NaN, height: 1 }),
        isMaximized: () => false,
        on: (_event, listener) => {
          onClose = listener;
        },
      },
      file,
      (error) => errors.push(error),
    );
    expect(() => onClose?.()).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});
