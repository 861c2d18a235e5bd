import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { copyFile, link, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * The Hugging Face hub cache that `huggingface-cli download` / transformers fill, laid out as
 * `models--{org}--{name}/{refs/<branch>, snapshots/<commit>/<file> → ../../blobs/<etag>}`.
 * Same precedence as huggingface_hub: HF_HUB_CACHE, then HF_HOME/hub, then
 * $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub.
 */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const explicit = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return explicit;
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'huggingface');
  return join(hfHome, 'hub');
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export interface CachedSnapshot {
  dir: string;
  commit: string;
  /** Top-level file names present in the snapshot. */
  files: string[];
}

/** The cached snapshot of a repo at a revision (a commit, or a branch via refs/<branch>), if any. */
export function findCachedSnapshot(
  cacheDir: string,
  repoId: string,
  revision: string,
): CachedSnapshot | null {
  const repoDir = join(cacheDir, `models--${repoId.replace('/', '--')}`);
  let commit = revision;
  if (!COMMIT.test(revision)) {
    const ref = join(repoDir, 'refs', revision);
    if (!existsSync(ref)) return null;
    commit = readFileSync(ref, 'utf8').trim();
  }
  const dir = join(repoDir, 'snapshots', commit);
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => isReadableFile(join(dir, f)));
  return { dir, commit, files };
}

function isReadableFile(path: string): boolean {
  try {
    return statSync(path).isFile(); // follows the snapshot symlink; a dangling link is skipped
  } catch {
    return false;
  }
}

export interface CachedFile {
  /** The blob the snapshot entry points at. */
  path: string;
  size: number;
  /** The blob's name when it is a sha256 (LFS files: the Hub's ETag, i.e. the content hash). */
  sha256: string | null;
}

export function cachedFile(snapshot: CachedSnapshot, file: string): CachedFile | null {
  const entry = join(snapshot.dir, file);
  if (!isReadableFile(entry)) return null;
  const path = realpathSync(entry);
  const name = basename(path);
  return { path, size: statSync(path).size, sha256: SHA256.test(name) ? name : null };
}

/**
 * Puts a cached blob at `dest`: a hard link when the cache is on the same file system (no extra
 * disk; blobs are never modified in place, so sharing is safe), else a copy. Atomic via a temp name.
 */
export async function linkOrCopy(source: string, dest: string): Promise<'linked' | 'copied'> {
  const temp = `${dest}.linking`;
  await rm(temp, { force: true });
  let how: 'linked' | 'copied' = 'linked';
  try {
    await link(source, temp);
  } catch {
    how = 'copied';
    await copyFile(source, temp, constants.COPYFILE_FICLONE);
  }
  await rename(temp, dest);
  return how;
}
