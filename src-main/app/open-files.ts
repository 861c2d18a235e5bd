// "Open with Sightline": image paths arrive on the command line of the first launch, in the argv
// a second launch forwards to the running instance (`second-instance`), and on macOS as
// `open-file` events (possibly before the app is ready). All of them end up here, as absolute
// paths for "Describe image" and for the photo protocol's list of user-opened files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_EXTENSIONS } from '../library/media/photo-formats.ts';

const imageExtensions = new Set<string>(IMAGE_EXTENSIONS.map((extension) => `.${extension}`));

export function hasImageExtension(filePath: string): boolean {
  return imageExtensions.has(path.extname(filePath).toLowerCase());
}

/** Desktop launchers on Linux may pass `file://` URIs (%U) instead of paths (%F). */
function argumentToPath(argument: string, workingDirectory: string): string | null {
  if (argument.startsWith('file:')) {
    try {
      return fileURLToPath(argument);
    } catch {
      return null;
    }
  }
  if (argument.includes('\0') || /^[a-z][a-z0-9+.-]+:\/\//i.test(argument)) return null;
  return path.resolve(workingDirectory, argument);
}

/**
 * Image files named on a command line, as absolute paths, in order, without duplicates.
 * `argv[0]` is the executable. Switches (`--inspect`, Chromium's own flags that Electron appends
 * to a second instance's argv) are skipped; after a bare `--` everything is a path. In
 * development `argv[1]` is the app folder, which the extension filter drops by itself.
 */
export function imagePathsFromArgv(argv: readonly string[], workingDirectory: string): string[] {
  const found = new Set<string>();
  let switchesEnded = false;
  for (const argument of argv.slice(1)) {
    if (!switchesEnded && argument === '--') {
      switchesEnded = true;
      continue;
    }
    if (!switchesEnded && argument.startsWith('-')) continue;
    const filePath = argumentToPath(argument, workingDirectory);
    if (filePath !== null && hasImageExtension(filePath)) found.add(filePath);
  }
  return [...found];
}

export type OpenFilesListener = (paths: readonly string[]) => void;

/**
 * Collects opened files until someone can act on them (the window is loaded), then hands each
 * new batch straight through. Every path ever opened is remembered in `openedFiles`, the
 * allow-list that lets the renderer display a file outside the library.
 */
export class OpenFileRequests {
  readonly openedFiles = new Set<string>();
  private pending: string[] = [];
  private listener: OpenFilesListener | null = null;

  /** Paths must be absolute; non-images are ignored. Returns what was accepted. */
  add(paths: readonly string[]): string[] {
    const accepted = paths.filter(
      (filePath) => path.isAbsolute(filePath) && hasImageExtension(filePath),
    );
    if (accepted.length === 0) return accepted;
    for (const filePath of accepted) this.openedFiles.add(path.resolve(filePath));
    if (this.listener === null) this.pending.push(...accepted);
    else this.listener(accepted);
    return accepted;
  }

  addFromArgv(argv: readonly string[], workingDirectory: string): string[] {
    return this.add(imagePathsFromArgv(argv, workingDirectory));
  }

  /** Starts delivery; whatever arrived before is delivered at once, as one batch. */
  listen(listener: OpenFilesListener): void {
    this.listener = listener;
    const queued = this.pending;
    this.pending = [];
    if (queued.length > 0) listener(queued);
  }
}
