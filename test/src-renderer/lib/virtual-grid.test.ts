import { describe, expect, it } from 'vitest';
import {
  gridMetrics,
  moveFocus,
  pagesCovering,
  scrollTopToReveal,
  visibleRange,
} from '../../../src-renderer/lib/virtual-grid.ts';

describe('gridMetrics', () => {
  it('fits as many minimum-size cells as the width allows and fills the width', () => {
    const metrics = gridMetrics(1000, 150, 8);
    expect(metrics.columns).toBe(6); // 6 * 150 + 5 * 8 = 940 <= 1000, 7 would need 1098
    expect(
      metrics.cellSize * metrics.columns + metrics.gap * (metrics.columns - 1),
    ).toBeLessThanOrEqual(1000);
    expect(metrics.cellSize).toBeGreaterThanOrEqual(150);
    expect(metrics.rowHeight).toBe(metrics.cellSize + 8);
  });

  it('keeps at least one column when the viewport is narrower than a cell', () => {
    expect(gridMetrics(50, 150, 8).columns).toBe(1);
    expect(gridMetrics(0, 150, 8).cellSize).toBeGreaterThanOrEqual(1);
  });
});

describe('visibleRange', () => {
  const metrics = { columns: 5, cellSize: 100, rowHeight: 110, gap: 10 };

  it('renders only the visible rows plus overscan, even for 100k items', () => {
    const range = visibleRange(metrics, 100_000, 110 * 1000, 550, 2);
    expect(range.start).toBe((1000 - 2) * 5);
    // rows 1000..1005 are visible (bottom edge lands in row 1005), plus two overscan rows
    expect(range.end).toBe((1005 + 2 + 1) * 5);
    expect(range.offsetY).toBe(998 * 110);
    expect(range.totalHeight).toBe(20_000 * 110 - 10);
    expect(range.end - range.start).toBeLessThan(100);
  });

  it('clamps at the top and at the partial last row', () => {
    expect(visibleRange(metrics, 12, 0, 1000, 3)).toEqual({
      start: 0,
      end: 12,
      offsetY: 0,
      totalHeight: 3 * 110 - 10,
    });
    const scrolledPastEnd = visibleRange(metrics, 12, 10_000, 500, 1);
    expect(scrolledPastEnd.start).toBe(10);
    expect(scrolledPastEnd.end).toBe(12);
  });

  it('is empty for no items', () => {
    expect(visibleRange(metrics, 0, 0, 500, 2)).toEqual({
      start: 0,
      end: 0,
      offsetY: 0,
      totalHeight: 0,
    });
  });
});

describe('pagesCovering', () => {
  it('lists every page touching the range', () => {
    expect(pagesCovering(0, 1, 100)).toEqual([0]);
    expect(pagesCovering(95, 205, 100)).toEqual([0, 1, 2]);
    expect(pagesCovering(200, 300, 100)).toEqual([2]);
    expect(pagesCovering(5, 5, 100)).toEqual([]);
  });
});

describe('scrollTopToReveal', () => {
  const metrics = { columns: 4, cellSize: 100, rowHeight: 110, gap: 10 };
  it('scrolls up or down just enough, or not at all', () => {
    expect(scrollTopToReveal(metrics, 0, 300, 400)).toBe(0);
    expect(scrollTopToReveal(metrics, 4 * 10, 0, 400)).toBe(10 * 110 + 100 - 400);
    expect(scrollTopToReveal(metrics, 4, 0, 400)).toBeNull();
  });
});

describe('moveFocus', () => {
  it('moves by one cell or one row and stops at the edges', () => {
    expect(moveFocus(5, 'ArrowRight', 4, 10)).toBe(6);
    expect(moveFocus(9, 'ArrowRight', 4, 10)).toBe(9);
    expect(moveFocus(0, 'ArrowLeft', 4, 10)).toBe(0);
    expect(moveFocus(5, 'ArrowDown', 4, 10)).toBe(9);
    expect(moveFocus(6, 'ArrowDown', 4, 10)).toBe(6);
    expect(moveFocus(5, 'ArrowUp', 4, 10)).toBe(1);
    expect(moveFocus(1, 'ArrowUp', 4, 10)).toBe(1);
    expect(moveFocus(5, 'End', 4, 10)).toBe(9);
    expect(moveFocus(5, 'Home', 4, 10)).toBe(0);
  });
});
