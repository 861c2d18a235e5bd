import { describe, expect, it } from 'vitest';
import { RateWindow } from '../../../src-renderer/lib/rate-window.ts';

const options = { windowMs: 10_000, minSpanMs: 2_000, minSamples: 3 };

describe('RateWindow', () => {
  it('says nothing until the window spans long enough with enough samples', () => {
    const window = new RateWindow(options);
    expect(window.perSecond()).toBe(null);
    window.add(0, 0);
    window.add(1_000, 4);
    expect(window.perSecond()).toBe(null); // two samples, one second
    window.add(1_500, 6);
    expect(window.perSecond()).toBe(null); // three samples, 1.5 s
    window.add(2_000, 8);
    expect(window.perSecond()).toBe(4);
    expect(window.secondsLeft(20)).toBe(3);
  });

  it('follows the recent speed, not the average since the start', () => {
    const window = new RateWindow(options);
    for (let s = 0; s <= 30; s++) window.add(s * 1_000, s < 20 ? s * 10 : 190 + (s - 19) * 2);
    // The last 10 s ran at 2 per second; since the start it averaged about 7.
    expect(window.perSecond()).toBeCloseTo(2, 5);
  });

  it('is null while nothing moves and starts over when the count goes back', () => {
    const window = new RateWindow(options);
    window.add(0, 5);
    window.add(1_000, 5);
    window.add(3_000, 5);
    expect(window.perSecond()).toBe(null);
    window.add(4_000, 0); // a new run
    window.add(5_000, 3);
    window.add(7_000, 9);
    expect(window.perSecond()).toBe(3);
    window.reset();
    expect(window.secondsLeft(100)).toBe(null);
  });
});
