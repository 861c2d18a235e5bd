// Remembers the main window's size, position and maximized state across launches in
// `<userData>/window-state.json`. A saved position may point at a monitor that is gone, so it is
// always fitted to the displays present now (passed in, since only Electron's `screen` knows).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const WINDOW_STATE_FILE = 'window-state.json';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rectangle;
  isMaximized: boolean;
}

export interface WindowSizeLimits {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
}

export const DEFAULT_WINDOW_SIZE: WindowSizeLimits = {
  width: 1200,
  height: 800,
  minWidth: 640,
  minHeight: 480,
};

const rectangleSchema = z.object({
  x: z.number(),
  y: z.number(),
  width: z.number().positive(),
  height: z.number().positive(),
});
const windowStateSchema = z.object({ bounds: rectangleSchema, isMaximized: z.boolean() });

function overlapArea(a: Rectangle, b: Rectangle): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

function centeredIn(area: Rectangle, width: number, height: number): Rectangle {
  const fittedWidth = Math.min(width, area.width);
  const fittedHeight = Math.min(height, area.height);
  return {
    x: area.x + Math.floor((area.width - fittedWidth) / 2),
    y: area.y + Math.floor((area.height - fittedHeight) / 2),
    width: fittedWidth,
    height: fittedHeight,
  };
}

/**
 * Fits `bounds` to the display work area it overlaps most, shrinking it if needed and sliding
 * it fully on screen. With no overlap at all (monitor unplugged) the window is centred on the
 * first work area, which callers pass as the primary display's.
 */
export function clampToDisplays(
  bounds: Rectangle,
  workAreas: readonly Rectangle[],
  limits: WindowSizeLimits = DEFAULT_WINDOW_SIZE,
): Rectangle {
  const primary = workAreas[0];
  if (primary === undefined) return bounds;
  let best: Rectangle | undefined;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const overlap = overlapArea(bounds, area);
    if (overlap > bestOverlap) {
      best = area;
      bestOverlap = overlap;
    }
  }
  if (best === undefined) return centeredIn(primary, bounds.width, bounds.height);
  const width = Math.min(Math.max(bounds.width, limits.minWidth), best.width);
  const height = Math.min(Math.max(bounds.height, limits.minHeight), best.height);
  const x = Math.min(Math.max(bounds.x, best.x), best.x + best.width - width);
  const y = Math.min(Math.max(bounds.y, best.y), best.y + best.height - height);
  return { x, y, width, height };
}

export function defaultWindowState(
  workAreas: readonly Rectangle[],
  limits: WindowSizeLimits = DEFAULT_WINDOW_SIZE,
): WindowState {
  const primary = workAreas[0] ?? { x: 0, y: 0, width: limits.width, height: limits.height };
  return { bounds: centeredIn(primary, limits.width, limits.height), isMaximized: false };
}

/** The saved state fitted to today's displays; the default for a missing or damaged file. */
export function loadWindowState(
  filePath: string,
  workAreas: readonly Rectangle[],
  limits: WindowSizeLimits = DEFAULT_WINDOW_SIZE,
): WindowState {
  let saved: WindowState;
  try {
    saved = windowStateSchema.parse(JSON.parse(readFileSync(filePath, 'utf8')));
  } catch {
    return defaultWindowState(workAreas, limits);
  }
  return {
    bounds: clampToDisplays(saved.bounds, workAreas, limits),
    isMaximized: saved.isMaximized,
  };
}

/**
 * Written to a temporary file and renamed, so a crash mid-write keeps the previous state.
 * Synchronous on purpose: it runs while the window closes, and the app may quit right after.
 */
export function saveWindowState(filePath: string, state: WindowState): void {
  const valid = windowStateSchema.parse(state);
  mkdirSync(path.dirname(filePath), { recursive: true });
  const temporary = `${filePath}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`);
  renameSync(temporary, filePath);
}

/** The part of BrowserWindow that state tracking reads. */
export interface TrackedWindow {
  getNormalBounds: () => Rectangle;
  isMaximized: () => boolean;
  on: (event: 'close', listener: () => void) => unknown;
}

/**
 * Saves when the window closes. The normal (unmaximized) bounds are kept, so un-maximizing
 * after the next launch returns to the size the user chose.
 */
export function trackWindowState(
  window: TrackedWindow,
  filePath: string,
  onError: (error: unknown) => void = () => undefined,
): void {
  window.on('close', () => {
    try {
      saveWindowState(filePath, {
        bounds: window.getNormalBounds(),
        isMaximized: window.isMaximized(),
      });
    } catch (error) {
      onError(error);
    }
  });
}
