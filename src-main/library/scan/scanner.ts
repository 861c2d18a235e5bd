import type { BigIntStats, Dirent } from 'node:fs';
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createPathFilter } from './scan-patterns.ts';
import type { PathFilter } from './scan-patterns.ts';

export interface ScanRoot {
  path: string;
  /** Globs matched against the path relative to the root; default: photo and RAW extensions. */
  include?: string[];
  /** Globs added to the default exclusions (hidden entries, `@eaDir`). */
  exclude?: string[];
}

export interface ScannedFile {
  /** The root exactly as given, so callers can map the file back to their root record. */
  root: string;
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** Something that could not be scanned; the scan goes on without it. */
export interface ScanProblem {
  path: string;
  reason: string;
}

interface WalkContext {
  root: string;
  filter: PathFilter;
  onProblem: (problem: ScanProblem) => void;
  /** dev:ino of every real folder already walked in this root (a folder reached twice is walked once). */
  visited: Set<string>;
}

/**
 * Walk the roots depth-first, entries sorted by their raw name bytes so the order does not depend
 * on the locale or the file system. Follows symbolic links, detecting loops. Never throws for one
 * bad entry: it goes to `onProblem` and the walk continues.
 */
export async function* scanRoots(
  roots: readonly ScanRoot[],
  onProblem: (problem: ScanProblem) => void,
): AsyncGenerator<ScannedFile> {
  for (const root of roots) {
    const rootPath = resolve(root.path);
    const rootStats = await statOrReport(rootPath, onProblem, 'cannot open root folder');
    if (!rootStats) continue;
    if (!rootStats.isDirectory()) {
      onProblem({ path: rootPath, reason: 'root is not a folder' });
      continue;
    }
    const key = folderKey(rootStats);
    const ctx: WalkContext = {
      root: root.path,
      filter: createPathFilter(root.include, root.exclude),
      onProblem,
      visited: new Set([key]),
    };
    yield* walkFolder(ctx, rootPath, '', new Set([key]));
  }
}

async function* walkFolder(
  ctx: WalkContext,
  folder: string,
  relativeFolder: string,
  ancestors: ReadonlySet<string>,
): AsyncGenerator<ScannedFile> {
  let entries: Dirent<Buffer>[];
  try {
    entries = await readdir(folder, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    ctx.onProblem({ path: folder, reason: `cannot read folder: ${describeFsError(error)}` });
    return;
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));

  for (const entry of entries) {
    const name = entry.name.toString('utf8');
    const path = join(folder, name);
    // Node decodes invalid UTF-8 lossily (U+FFFD), so the string would name a different file.
    if (!Buffer.from(name, 'utf8').equals(entry.name)) {
      ctx.onProblem({
        path,
        reason: `name is not valid UTF-8 (raw bytes ${entry.name.toString('hex')}); rename it to index it`,
      });
      continue;
    }
    const relativePath = relativeFolder === '' ? name : `${relativeFolder}/${name}`;
    // An excluded name is skipped whatever it turns out to be, without touching the disk.
    if (ctx.filter.excludesFolder(relativePath)) continue;
    if (entry.isFile() && !ctx.filter.includesFile(relativePath)) continue;
    if (!entry.isFile() && !entry.isDirectory() && !entry.isSymbolicLink()) continue;

    const stats = await statOrReport(path, ctx.onProblem, describeLinkOrEntry(entry));
    if (!stats) continue;

    if (stats.isDirectory()) {
      const key = folderKey(stats);
      if (ancestors.has(key)) {
        ctx.onProblem({ path, reason: 'symbolic link loop: points back to a folder above it' });
        continue;
      }
      if (ctx.visited.has(key)) continue; // Same folder reached through another link.
      ctx.visited.add(key);
      yield* walkFolder(ctx, path, relativePath, new Set([...ancestors, key]));
    } else if (stats.isFile() && ctx.filter.includesFile(relativePath)) {
      try {
        await access(path, constants.R_OK);
      } catch (error) {
        ctx.onProblem({ path, reason: `file is not readable: ${describeFsError(error)}` });
        continue;
      }
      yield { root: ctx.root, path, size: Number(stats.size), mtimeMs: Number(stats.mtimeMs) };
    }
    // Sockets, FIFOs and devices are never photos; opening a FIFO would even block.
  }
}

function describeLinkOrEntry(entry: Dirent<Buffer>): string {
  return entry.isSymbolicLink() ? 'broken symbolic link' : 'cannot read entry';
}

/** `stat` (following links) with bigint inode numbers, which can exceed 2^53 on some file systems. */
async function statOrReport(
  path: string,
  onProblem: (problem: ScanProblem) => void,
  what: string,
): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ELOOP'
        ? 'symbolic link loop (the link resolves to itself)'
        : `${what}: ${describeFsError(error)}`;
    onProblem({ path, reason });
    return undefined;
  }
}

function folderKey(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a folder',
  EIO: 'input/output error',
};

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return ERRNO_TEXT[code] ? `${ERRNO_TEXT[code]} (${code})` : code;
}
