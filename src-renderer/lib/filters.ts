// What the user narrowed the library to, as one value shared by the sidebar, the grid and search.
import type { SearchFilters } from '../../src-main/shared/contract.ts';

export interface LibraryFilters {
  folder: string | null;
  tag: string | null;
  /** ISO date prefixes (2019, 2019-07, 2019-07-14); empty = unbounded. */
  from: string;
  to: string;
  camera: string;
}

export const NO_FILTERS: LibraryFilters = { folder: null, tag: null, from: '', to: '', camera: '' };

const ISO_DATE_PREFIX = /^\d{4}(-\d{2}(-\d{2})?)?$/;

export function isValidDateBound(value: string): boolean {
  return value === '' || ISO_DATE_PREFIX.test(value);
}

/** The contract's search filters; invalid or empty fields are left out rather than rejected. */
export function toSearchFilters(filters: LibraryFilters): SearchFilters {
  const result: SearchFilters = {};
  if (filters.folder !== null) result.folder = filters.folder;
  if (filters.tag !== null) result.tag = filters.tag;
  const from = filters.from.trim();
  const to = filters.to.trim();
  const camera = filters.camera.trim();
  if (from !== '' && isValidDateBound(from)) result.from = from;
  if (to !== '' && isValidDateBound(to)) result.to = to;
  if (camera !== '') result.camera = camera;
  return result;
}

export function activeFilterCount(filters: LibraryFilters): number {
  return Object.keys(toSearchFilters(filters)).length;
}
