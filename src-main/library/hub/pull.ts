import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectRepoFiles, type ModelSource } from '../../../native-models/catalog.ts';
import { formatBytes, freeDiskBytes } from './disk.ts';
import {
  DOWNLOAD_RECORD_FILE,
  readDownloadRecord,
  recordStillValid,
  writeDownloadRecord,
  type DownloadRecord,
} from './download-record.ts';
import { HubError } from './errors.ts';
import { INCOMPLETE_SUFFIX, downloadFile } from './file-download.ts';
import {
  cachedFile,
  findCachedSnapshot,
  hfHubCacheDir,
  linkOrCopy,
  type CachedSnapshot,
} from './hf-cache.ts';
import { fetchFileMeta, fetchRepoInfo, type FileMeta, type HubContext } from './hub-client.ts';
import { importLocalCheckpoint } from './local-import.ts';
import { runPool } from './pool.ts';
import { ProgressTracker, type PullProgress } from './progress.ts';

export interface PullOptions {
  /** Folder that receives the checkpoint files (created when missing). */
  destDir: string;
  /** Hub or mirror base URL; default HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated/private repos; default HF_TOKEN. */
  token?: string;
  /** Files downloaded at once. */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** The Hugging Face hub cache to reuse files from; default per HF_HUB_CACHE/HF_HOME; null: never. */
  hfCacheDir?: string | null;
  /** Resumes per file after a dropped connection or a 5xx answer, and the pause between. */
  retries?: number;
  retryDelayMs?: number;
  /** Free bytes where destDir lives (statfs by default). */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface PullResult {
  destDir: string;
  record: DownloadRecord;
  /** Where the files came from this time. */
  source: 'hub' | 'hf-cache' | 'already-downloaded';
  downloadedBytes: number;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
/** Marks which commit a half-finished download folder belongs to. */
const STATE_FILE = '.sightline-download-state.json';

/**
 * Fetches the files `source` needs into `destDir`: reuses a finished download, then a complete
 * snapshot in the Hugging Face cache (no network), else the Hub — resumable, verified, several
 * files at once, per-file reuse of cached blobs. Writes `sightline-download.json` last.
 */
export async function pullModel(source: ModelSource, options: PullOptions): Promise<PullResult> {
  const endpoint = options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  const token = options.token ?? process.env.HF_TOKEN;
  const cacheDir = options.hfCacheDir === undefined ? hfHubCacheDir() : options.hfCacheDir;
  const { destDir } = options;
  await mkdir(destDir, { recursive: true });

  const previous = readDownloadRecord(destDir);
  if (
    previous &&
    previous.repoId === source.repoId &&
    (previous.requestedRevision === source.revision || previous.revision === source.revision) &&
    recordStillValid(destDir, previous)
  ) {
    return { destDir, record: previous, source: 'already-downloaded', downloadedBytes: 0 };
  }

  const snapshot = cacheDir ? findCachedSnapshot(cacheDir, source.repoId, source.revision) : null;
  const fromCache = snapshot ? completeSnapshotFiles(snapshot, source) : null;
  if (snapshot && fromCache) {
    return linkSnapshot(source, snapshot, fromCache, options);
  }

  const controller = new AbortController();
  const forward = (): void => controller.abort();
  options.signal?.addEventListener('abort', forward, { once: true });
  try {
    const ctx: HubContext = { endpoint, token, repoId: source.repoId, signal: controller.signal };
    return await pullFromHub(source, ctx, cacheDir, controller, options);
  } finally {
    options.signal?.removeEventListener('abort', forward);
  }
}

/** The files to take from a cached snapshot, or null when it lacks any (then the Hub is asked). */
function completeSnapshotFiles(snapshot: CachedSnapshot, source: ModelSource): string[] | null {
  try {
    return importLocalCheckpoint(snapshot.dir, source).files;
  } catch {
    return null;
  }
}

async function linkSnapshot(
  source: ModelSource,
  snapshot: CachedSnapshot,
  files: string[],
  options: PullOptions,
): Promise<PullResult> {
  const entries = files.map((file) => ({ file, cached: cachedFile(snapshot, file)! }));
  const tracker = new ProgressTracker(
    source.repoId,
    entries.map((e) => ({ file: e.file, size: e.cached.size })),
    options.onProgress,
  );
  for (const { file, cached } of entries) {
    await linkOrCopy(cached.path, join(options.destDir, file));
    tracker.state(file, 'from-cache');
  }
  const record = await finish(options.destDir, {
    repoId: source.repoId,
    revision: snapshot.commit,
    requestedRevision: source.revision,
    endpoint: null,
    files: entries.map(({ file, cached }) => ({
      path: file,
      size: cached.size,
      sha256: cached.sha256,
      source: 'hf-cache' as const,
    })),
  });
  return { destDir: options.destDir, record, source: 'hf-cache', downloadedBytes: 0 };
}

async function pullFromHub(
  source: ModelSource,
  ctx: HubContext,
  cacheDir: string | null,
  controller: AbortController,
  options: PullOptions,
): Promise<PullResult> {
  const { destDir } = options;
  const concurrency = Math.max(1, options.concurrency ?? 3);
  const info = await fetchRepoInfo(ctx, source.revision);
  const files = selectRepoFiles(source, info.files);
  await startOrContinue(destDir, source.repoId, info.commit, files);

  const metas = new Map<string, FileMeta>();
  await runPool(files, Math.max(concurrency, 4), controller, async (file) => {
    metas.set(file, await fetchFileMeta(ctx, info.commit, file));
  });
  const metaOf = (file: string): FileMeta => metas.get(file)!;

  // A snapshot of the same commit in the Hub cache may hold some of the files.
  const snapshot = cacheDir ? findCachedSnapshot(cacheDir, source.repoId, info.commit) : null;
  const reusable = new Map(
    files.flatMap((file) => {
      const cached = snapshot ? cachedFile(snapshot, file) : null;
      const meta = metaOf(file);
      const matches =
        cached && cached.size === meta.size && (!meta.sha256 || cached.sha256 === meta.sha256);
      return matches ? [[file, cached] as const] : [];
    }),
  );

  const finalDone = new Set(
    files.filter(
      (f) => statSync(join(destDir, f), { throwIfNoEntry: false })?.size === metaOf(f).size,
    ),
  );
  const needed = files
    .filter((f) => !finalDone.has(f) && !reusable.has(f))
    .reduce((sum, f) => sum + metaOf(f).size - partialSize(destDir, f, metaOf(f).size), 0);
  const free = await (options.freeBytes ?? freeDiskBytes)(destDir);
  if (needed > free) {
    throw new HubError(
      'disk-space',
      `not enough disk space in ${destDir}: ${source.repoId} needs ${formatBytes(needed)} more, only ${formatBytes(free)} free`,
    );
  }

  const tracker = new ProgressTracker(
    source.repoId,
    files.map((file) => ({ file, size: metaOf(file).size })),
    options.onProgress,
  );
  const sources = new Map<string, { sha256: string | null; source: 'hub' | 'hf-cache' }>();
  let downloadedBytes = 0;
  // Largest first, so the long transfers start early and small files fill the gaps.
  const order = [...files].sort((a, b) => metaOf(b).size - metaOf(a).size);
  await runPool(order, concurrency, controller, async (file) => {
    const meta = metaOf(file);
    const dest = join(destDir, file);
    const cached = reusable.get(file);
    if (finalDone.has(file)) {
      // Verified before it was renamed into place by an earlier, interrupted pull.
      sources.set(file, { sha256: meta.sha256, source: 'hub' });
      tracker.state(file, 'done');
    } else if (cached) {
      await rm(dest + INCOMPLETE_SUFFIX, { force: true });
      await linkOrCopy(cached.path, dest);
      sources.set(file, { sha256: cached.sha256, source: 'hf-cache' });
      tracker.state(file, 'from-cache');
    } else {
      await rm(dest, { force: true });
      const result = await downloadFile({
        ctx,
        commit: info.commit,
        file,
        meta,
        dest,
        onBytes: (done) => tracker.bytes(file, done),
        retries: options.retries ?? 5,
        retryDelayMs: options.retryDelayMs ?? 2000,
      });
      downloadedBytes += result.size;
      sources.set(file, { sha256: result.sha256, source: 'hub' });
      tracker.state(file, 'done');
    }
  });

  const record = await finish(destDir, {
    repoId: source.repoId,
    revision: info.commit,
    requestedRevision: source.revision,
    endpoint: ctx.endpoint,
    files: files.map((file) => ({ path: file, size: metaOf(file).size, ...sources.get(file)! })),
  });
  return {
    destDir,
    record,
    source: [...sources.values()].every((s) => s.source === 'hf-cache') ? 'hf-cache' : 'hub',
    downloadedBytes,
  };
}

function partialSize(destDir: string, file: string, expected: number): number {
  const size =
    statSync(join(destDir, file + INCOMPLETE_SUFFIX), { throwIfNoEntry: false })?.size ?? 0;
  return size <= expected ? size : 0;
}

/**
 * A half-finished folder from another commit (the branch moved between two pulls) must not be
 * resumed: its partial and finished files would mix two versions of the weights.
 */
async function startOrContinue(
  destDir: string,
  repoId: string,
  commit: string,
  files: readonly string[],
): Promise<void> {
  const statePath = join(destDir, STATE_FILE);
  let state: { repoId?: unknown; commit?: unknown } = {};
  if (existsSync(statePath)) {
    try {
      state = JSON.parse(readFileSync(statePath, 'utf8')) as typeof state;
    } catch {
      state = {};
    }
  }
  const sameDownload = state.repoId === repoId && state.commit === commit;
  if (!sameDownload) {
    for (const file of files) {
      await rm(join(destDir, file), { force: true });
      await rm(join(destDir, file + INCOMPLETE_SUFFIX), { force: true });
    }
    await rm(join(destDir, DOWNLOAD_RECORD_FILE), { force: true });
    await writeFile(statePath, `${JSON.stringify({ repoId, commit })}\n`);
  }
}

async function finish(
  destDir: string,
  fields: Omit<DownloadRecord, 'format' | 'formatVersion' | 'completedAt'>,
): Promise<DownloadRecord> {
  const record: DownloadRecord = {
    format: 'sightline-download',
    formatVersion: 1,
    ...fields,
    completedAt: new Date().toISOString(),
  };
  await writeDownloadRecord(destDir, record);
  await rm(join(destDir, STATE_FILE), { force: true });
  return record;
}
