// Layout math for the virtualized thumbnail grid. Pure functions so they can be unit-tested and
// so the grid component only renders the rows the viewport can see (smooth at 100k photos).

export interface GridMetrics {
  columns: number;
  /** Width and height of one square cell, in CSS pixels. */
  cellSize: number;
  /** Cell size plus the gap below it. */
  rowHeight: number;
  gap: number;
}

/** Fits as many cells of at least `minCellSize` as the width allows, stretching them to fill it. */
export function gridMetrics(viewportWidth: number, minCellSize: number, gap: number): GridMetrics {
  const usable = Math.max(0, viewportWidth);
  const columns = Math.max(1, Math.floor((usable + gap) / (minCellSize + gap)));
  const cellSize = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns));
  return { columns, cellSize, rowHeight: cellSize + gap, gap };
}

export interface VisibleRange {
  /** First item index to render (inclusive). */
  start: number;
  /** One past the last item index to render. */
  end: number;
  /** Vertical offset of the first rendered row. */
  offsetY: number;
  /** Height of the whole (mostly unrendered) grid, so the scrollbar is right. */
  totalHeight: number;
}

export function visibleRange(
  metrics: GridMetrics,
  total: number,
  scrollTop: number,
  viewportHeight: number,
  overscanRows: number,
): VisibleRange {
  const rows = Math.ceil(total / metrics.columns);
  const totalHeight = Math.max(0, rows * metrics.rowHeight - metrics.gap);
  if (total === 0) return { start: 0, end: 0, offsetY: 0, totalHeight: 0 };
  const top = Math.max(0, scrollTop);
  const firstVisibleRow = Math.floor(top / metrics.rowHeight);
  const lastVisibleRow = Math.floor((top + Math.max(0, viewportHeight)) / metrics.rowHeight);
  const firstRow = Math.min(rows - 1, Math.max(0, firstVisibleRow - overscanRows));
  const lastRow = Math.min(rows - 1, lastVisibleRow + overscanRows);
  return {
    start: firstRow * metrics.columns,
    end: Math.min(total, (lastRow + 1) * metrics.columns),
    offsetY: firstRow * metrics.rowHeight,
    totalHeight,
  };
}

/** Page numbers (page = `pageSize` consecutive items) that cover items [start, end). */
export function pagesCovering(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let page = Math.floor(start / pageSize); page * pageSize < end; page++) pages.push(page);
  return pages;
}

/** Scroll position that brings item `index` fully into view, or null when it already is. */
export function scrollTopToReveal(
  metrics: GridMetrics,
  index: number,
  scrollTop: number,
  viewportHeight: number,
): number | null {
  const row = Math.floor(index / metrics.columns);
  const top = row * metrics.rowHeight;
  const bottom = top + metrics.cellSize;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}

export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

export function isGridKey(key: string): key is GridKey {
  return ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(key);
}

/** Where the keyboard focus moves in a grid of `total` items; stays put at the edges. */
export function moveFocus(index: number, key: GridKey, columns: number, total: number): number {
  if (total === 0) return 0;
  const last = total - 1;
  const current = Math.min(Math.max(0, index), last);
  switch (key) {
    case 'ArrowLeft':
      return Math.max(0, current - 1);
    case 'ArrowRight':
      return Math.min(last, current + 1);
    case 'ArrowUp':
      return current - columns >= 0 ? current - columns : current;
    case 'ArrowDown':
      return current + columns <= last ? current + columns : current;
    case 'Home':
      return 0;
    case 'End':
      return last;
  }
}
