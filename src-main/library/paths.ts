import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { MANIFEST_FILE } from '../../native-models/manifest.ts';

/** Where Sightline keeps its library database, thumbnails and converted models. */
export interface PlatformContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

export const DATABASE_FILE = 'library.db';
export const SEARCH_MODEL_NAME = 'blip2-itm-vit-g';
export const CAPTION_MODEL_NAME = 'blip2-opt-2.7b';

/**
 * `SIGHTLINE_HOME` when set; otherwise the platform's per-user data folder (the same place an
 * Electron app's `userData` lives, so the CLI and the app share one library).
 */
export function defaultDataDir(context: PlatformContext = {}): string {
  const env = context.env ?? process.env;
  const platform = context.platform ?? process.platform;
  const home = context.home ?? homedir();
  if (env.SIGHTLINE_HOME) return env.SIGHTLINE_HOME;
  if (platform === 'win32') {
    return win32.join(env.APPDATA ?? win32.join(home, 'AppData', 'Roaming'), 'Sightline');
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'Sightline');
  const dataHome = env.XDG_DATA_HOME ? env.XDG_DATA_HOME : posix.join(home, '.local', 'share');
  return posix.join(dataHome, 'sightline');
}

function pathFor(context: PlatformContext): typeof posix {
  return (context.platform ?? process.platform) === 'win32' ? win32 : posix;
}

function joinFor(context: PlatformContext, ...parts: string[]): string {
  return pathFor(context).join(...parts);
}

export function defaultDatabasePath(context: PlatformContext = {}): string {
  return joinFor(context, defaultDataDir(context), DATABASE_FILE);
}

/**
 * Thumbnails sit next to the database: `<data>/thumbnails` for the default library, and beside a
 * library opened with `--db <path>` so that library stays self-contained.
 */
export function defaultThumbnailDir(databasePath?: string, context: PlatformContext = {}): string {
  if (databasePath !== undefined && databasePath !== ':memory:') {
    return joinFor(context, pathFor(context).dirname(databasePath), 'thumbnails');
  }
  return joinFor(context, defaultDataDir(context), 'thumbnails');
}

/** Converted models live in `<data>/models/<name>`. */
export function defaultModelsDir(context: PlatformContext = {}): string {
  return joinFor(context, defaultDataDir(context), 'models');
}

const MODEL_REPOS = {
  caption: { name: CAPTION_MODEL_NAME, repoId: 'Salesforce/blip2-opt-2.7b' },
  search: { name: SEARCH_MODEL_NAME, repoId: 'Salesforce/blip2-itm-vit-g' },
} as const;

/**
 * The converted model folder for a role: the one given (flag), else `<data>/models/<name>`.
 * Throws with download and conversion steps when the folder holds no finished conversion.
 */
export function resolveModelDir(
  role: 'caption' | 'search',
  explicit?: string,
  context: PlatformContext = {},
): string {
  const dir = explicit ?? joinFor(context, defaultModelsDir(context), MODEL_REPOS[role].name);
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    throw new Error(missingModelHelp(dir, MODEL_REPOS[role].repoId));
  }
  return dir;
}

/** What to tell someone whose converted model folder is missing. */
export function missingModelHelp(dir: string, repoId: string): string {
  const local = `~/models/${repoId.split('/').pop() ?? repoId}`;
  return (
    `no converted model at ${dir}. Download the Hugging Face checkpoint once ` +
    `(\`huggingface-cli download ${repoId} --local-dir ${local}\`), then convert it: ` +
    `\`sightline models convert ${local} ${dir}\` (or point to a converted folder with a flag)`
  );
}
