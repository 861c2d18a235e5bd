import { describe, expect, it } from 'vitest';
import {
  activeFilterCount,
  NO_FILTERS,
  toSearchFilters,
} from '../../../src-renderer/lib/filters.ts';

describe('toSearchFilters', () => {
  it('leaves out empty and invalid fields', () => {
    expect(toSearchFilters(NO_FILTERS)).toEqual({});
    expect(toSearchFilters({ ...NO_FILTERS, from: '2019-7', to: ' ', camera: '  ' })).toEqual({});
  });

  it('passes every set filter through, trimmed', () => {
    const filters = {
      folder: '/photos/2019',
      tag: 'beach',
      from: ' 2019-07 ',
      to: '2019-12-31',
      camera: ' Pixel ',
    };
    expect(toSearchFilters(filters)).toEqual({
      folder: '/photos/2019',
      tag: 'beach',
      from: '2019-07',
      to: '2019-12-31',
      camera: 'Pixel',
    });
    expect(activeFilterCount(filters)).toBe(5);
  });
});
