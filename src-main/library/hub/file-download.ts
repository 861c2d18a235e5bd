import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { HubError, httpError, isAbort, networkError } from './errors.ts';
import { openFile, type FileMeta, type HubContext } from './hub-client.ts';

export const INCOMPLETE_SUFFIX = '.incomplete';

export interface FileDownloadOptions {
  ctx: HubContext;
  commit: string;
  /** Path inside the repo. */
  file: string;
  meta: FileMeta;
  /** Final path; bytes go to `<dest>.incomplete` until verified. */
  dest: string;
  /** Bytes of this file on disk so far (resumed bytes included; goes back to 0 on a restart). */
  onBytes: (done: number) => void;
  /** Resumes after a dropped connection or a 5xx (each resumes where the last one stopped). */
  retries: number;
  retryDelayMs: number;
}

export interface DownloadedFile {
  size: number;
  /** The verified sha256, when the Hub gave one. */
  sha256: string | null;
  /** Requests made (1 unless resumed or re-fetched). */
  requests: number;
}

/**
 * Downloads one file resumably and moves it into place only once its size (and sha256 when the Hub
 * gave one) match. A file that fails verification is deleted and fetched once more.
 */
export async function downloadFile(options: FileDownloadOptions): Promise<DownloadedFile> {
  const partial = options.dest + INCOMPLETE_SUFFIX;
  let requests = 0;
  for (let pass = 1; ; pass++) {
    const result = await fetchToPartial(options, partial);
    requests += result.requests;
    const problem = verificationProblem(options.meta, result.size, result.sha256);
    if (!problem) {
      await rename(partial, options.dest);
      return { size: result.size, sha256: options.meta.sha256, requests };
    }
    await rm(partial, { force: true });
    options.onBytes(0);
    if (pass >= 2) {
      throw new HubError(
        'integrity',
        `${options.ctx.repoId}/${options.file} is corrupt even after downloading it again (${problem}); the mirror or the connection alters data`,
      );
    }
  }
}

function verificationProblem(meta: FileMeta, size: number, sha256: string | null): string | null {
  if (size !== meta.size) return `${size} bytes instead of ${meta.size}`;
  if (meta.sha256 && sha256 !== meta.sha256) return `sha256 ${sha256} instead of ${meta.sha256}`;
  return null;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

async function fetchToPartial(
  options: FileDownloadOptions,
  partial: string,
): Promise<{ size: number; sha256: string | null; requests: number }> {
  const { ctx, meta } = options;
  const what = `${ctx.repoId}/${options.file}`;
  let offset = await sizeOf(partial);
  if (offset > meta.size) {
    await rm(partial, { force: true });
    offset = 0;
  }
  let hash = meta.sha256 ? createHash('sha256') : null;
  if (hash && offset > 0) await hashPrefix(partial, hash);
  // Exists even for an empty file, so the rename after verification always has a source.
  await (await open(partial, 'a')).close();
  options.onBytes(offset);
  let requests = 0;
  let failures = 0;
  while (offset < meta.size) {
    requests++;
    const response = await openFile(ctx, options.commit, options.file, offset);
    if (response.status === 416) {
      // The server says the range starts past the end: the partial file is complete or not this
      // file at all; verification decides.
      await response.body?.cancel();
      break;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      if (RETRYABLE_STATUS.has(response.status) && failures < options.retries) {
        failures++;
        await delay(options.retryDelayMs, ctx.signal);
        continue;
      }
      throw httpError(response.status, what, ctx.repoId);
    }
    const resumed = response.status === 206 && rangeStart(response) === offset;
    if (!resumed && offset > 0) {
      // 200 (Range ignored) or a range we did not ask for: start over from byte 0.
      offset = 0;
      hash = meta.sha256 ? createHash('sha256') : null;
      options.onBytes(0);
    }
    const readError = await appendBody(response.body, partial, resumed, (bytes) => {
      hash?.update(bytes);
      offset += bytes.length;
      options.onBytes(offset);
    });
    if (readError !== null) {
      if (ctx.signal?.aborted || isAbort(readError)) {
        throw new HubError('aborted', 'download cancelled');
      }
      if (failures >= options.retries) throw networkError(ctx.endpoint, readError);
      failures++;
      await delay(options.retryDelayMs, ctx.signal);
      continue;
    }
    if (offset < meta.size) {
      // The body ended early without an error: resume like a dropped connection.
      if (failures >= options.retries) {
        throw networkError(
          ctx.endpoint,
          new Error(`connection closed at byte ${offset} of ${what}`),
        );
      }
      failures++;
      await delay(options.retryDelayMs, ctx.signal);
    }
  }
  return { size: await sizeOf(partial), sha256: hash?.digest('hex') ?? null, requests };
}

/**
 * Writes a response body to the partial file (appending when resumed). Returns the error that
 * interrupted reading (a dropped connection: resumable), or null; write errors (disk full) throw.
 */
async function appendBody(
  body: ReadableStream<Uint8Array>,
  partial: string,
  append: boolean,
  onChunk: (bytes: Uint8Array) => void,
): Promise<unknown> {
  const handle = await open(partial, append ? 'a' : 'w');
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        return error ?? new Error('connection dropped');
      }
      if (chunk.done) return null;
      await handle.write(chunk.value);
      onChunk(chunk.value);
    }
  } finally {
    // Frees the connection when we stop early (write error, abort); a no-op after the end.
    await reader.cancel().catch(() => undefined);
    await handle.close();
  }
}

function rangeStart(response: Response): number | null {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : null;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new HubError('aborted', 'download cancelled'));
      },
      { once: true },
    );
  });
}
