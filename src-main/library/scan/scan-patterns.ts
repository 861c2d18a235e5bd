import picomatch from 'picomatch';
import { IMAGE_EXTENSIONS, RAW_EXTENSIONS } from '../media/photo-formats.ts';

export const DEFAULT_INCLUDE = [`**/*.{${[...IMAGE_EXTENSIONS, ...RAW_EXTENSIONS].join(',')}}`];

/**
 * Hidden entries (`.thumbnails`, `.git`, macOS `._IMG_0001.jpg` resource forks, `.Trash`) and
 * Synology's `@eaDir` thumbnail folders hold copies or junk, never the user's photos.
 */
export const DEFAULT_EXCLUDE = ['**/.*', '**/@eaDir', '**/#recycle'];

export interface PathFilter {
  /** Is this file (path relative to the root, `/`-separated) a candidate photo? */
  includesFile(relativePath: string): boolean;
  /** Should this folder be skipped entirely (not even read)? */
  excludesFolder(relativePath: string): boolean;
}

/**
 * Case-insensitive globs; `dot: true` so that patterns, not picomatch defaults, decide. A non-empty
 * `include` replaces the default photo extensions; `exclude` adds to the default exclusions (an
 * empty list, as stored for a root without settings, must not start indexing `.git` folders).
 */
export function createPathFilter(
  include?: readonly string[],
  exclude?: readonly string[],
): PathFilter {
  const options = { dot: true, nocase: true };
  const isIncluded = picomatch(include?.length ? [...include] : DEFAULT_INCLUDE, options);
  const isExcluded = picomatch([...DEFAULT_EXCLUDE, ...(exclude ?? [])], options);
  return {
    includesFile: (rel) => isIncluded(rel) && !isExcluded(rel),
    // `private/**` must prune the folder `private` itself, so also try the folder as a prefix.
    excludesFolder: (rel) => isExcluded(rel) || isExcluded(`${rel}/`),
  };
}
