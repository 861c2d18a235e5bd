// Decides which file a `sightline-photo://` request may read. The renderer is untrusted input: a
// compromised page must not be able to read ~/.ssh through <img src>, so every answer is a real
// path (symlinks resolved) inside a folder the user gave us, or a file the user opened by hand.
// No Electron here: the wiring lives in photo-protocol-handler.ts.
import { realpath } from 'node:fs/promises';
import path from 'node:path';

export const PHOTO_SCHEME = 'sightline-photo';

/** Where the library keeps one photo; `null` parts are simply not available. */
export interface PhotoFiles {
  originalPath: string;
  thumbnailPath: string | null;
}

export interface PhotoAccessPolicy {
  /** Folders the user indexed. Originals must live inside one of them. */
  libraryRoots: readonly string[];
  /** Folder holding generated thumbnails; thumbnails must live inside it. */
  thumbnailDir?: string;
  /** Files the user explicitly opened ("Open with", drag and drop), served via `file?path=`. */
  openedFiles?: Iterable<string>;
  lookupPhoto: (id: string) => PhotoFiles | null | Promise<PhotoFiles | null>;
}

export type PhotoResolution =
  | { ok: true; filePath: string; mimeType: string }
  | { ok: false; status: 403 | 404; reason: string };

/** Image types the renderer may display. SVG is absent on purpose: it can carry script. */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
};

/** Library photo ids are database keys; anything else in that position is an attack. */
const PHOTO_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Percent-escapes that decode to a separator, a dot, a NUL or a backslash have no business in
 * the host/path part of our URLs; the WHATWG parser would otherwise fold some of them away.
 */
const SUSPICIOUS_ESCAPES = /%(2e|2f|5c|00)/i;

export function photoMimeType(filePath: string): string | undefined {
  return MIME_TYPES[path.extname(filePath).toLowerCase()];
}

const forbidden = (reason: string): PhotoResolution => ({ ok: false, status: 403, reason });
const notFound = (reason: string): PhotoResolution => ({ ok: false, status: 404, reason });

type ParsedRequest =
  | { kind: 'thumbnail' | 'original'; id: string }
  | { kind: 'file'; filePath: string }
  | { kind: 'invalid'; reason: string };

/**
 * The raw text is inspected before `new URL()`, because the parser silently resolves `..`
 * segments: `thumbnail/../../etc` would otherwise arrive looking harmless.
 */
export function parsePhotoUrl(rawUrl: string): ParsedRequest {
  const invalid = (reason: string): ParsedRequest => ({ kind: 'invalid', reason });
  if (rawUrl.includes('\0')) return invalid('NUL byte in URL');
  const queryStart = rawUrl.indexOf('?');
  const beforeQuery = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  if (SUSPICIOUS_ESCAPES.test(beforeQuery)) return invalid('encoded separator or dot in path');
  if (beforeQuery.includes('\\')) return invalid('backslash in path');
  if (beforeQuery.split('/').some((segment) => segment === '..' || segment === '.')) {
    return invalid('dot segment in path');
  }

  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return invalid('not a URL');
  }
  if (url.protocol !== `${PHOTO_SCHEME}:`) return invalid(`not a ${PHOTO_SCHEME} URL`);
  if (url.username !== '' || url.password !== '' || url.port !== '') {
    return invalid('credentials or port in URL');
  }
  if (url.hash !== '') return invalid('fragment in URL');

  // Chromium lowercases the host of standard schemes; Node's parser does not, so match both.
  const host = url.hostname.toLowerCase();
  if (host === 'thumbnail' || host === 'original') {
    if (url.search !== '') return invalid('query on a photo URL');
    const id = url.pathname.slice(1);
    if (!url.pathname.startsWith('/') || !PHOTO_ID.test(id)) return invalid('malformed photo id');
    return { kind: host, id };
  }
  if (host === 'file') {
    if (url.pathname !== '' && url.pathname !== '/') return invalid('path outside the query');
    const keys = [...url.searchParams.keys()];
    if (keys.length !== 1 || keys[0] !== 'path') return invalid('expected exactly one path=');
    return { kind: 'file', filePath: url.searchParams.get('path')! };
  }
  return invalid(`unknown host "${host}"`);
}

/** A requested absolute path must already be in normal form: no `.`/`..`, no NUL. */
function isCleanAbsolutePath(filePath: string): boolean {
  if (filePath.includes('\0') || !path.isAbsolute(filePath)) return false;
  return !filePath.split(/[\\/]/).some((segment) => segment === '..' || segment === '.');
}

export function isInsideFolder(folder: string, candidate: string): boolean {
  const relative = path.relative(folder, candidate);
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

async function realPathOrNull(filePath: string): Promise<string | null> {
  try {
    return await realpath(filePath);
  } catch {
    return null;
  }
}

async function realFolders(folders: readonly (string | undefined)[]): Promise<string[]> {
  const resolved = await Promise.all(
    folders.filter((folder): folder is string => folder !== undefined).map(realPathOrNull),
  );
  return resolved.filter((folder): folder is string => folder !== null);
}

/** Resolves symlinks first, then requires the real file to sit inside one of `folders`. */
async function serveInside(filePath: string, folders: readonly string[]): Promise<PhotoResolution> {
  if (!isCleanAbsolutePath(filePath)) return forbidden('path is not a clean absolute path');
  const realFile = await realPathOrNull(filePath);
  if (realFile === null) return notFound('file does not exist');
  if (!folders.some((folder) => isInsideFolder(folder, realFile))) {
    return forbidden('file is outside the library');
  }
  return withMimeType(realFile);
}

function withMimeType(realFile: string): PhotoResolution {
  const mimeType = photoMimeType(realFile);
  if (mimeType === undefined) return forbidden('not an image type the app displays');
  return { ok: true, filePath: realFile, mimeType };
}

export async function resolvePhotoRequest(
  rawUrl: string,
  policy: PhotoAccessPolicy,
): Promise<PhotoResolution> {
  const request = parsePhotoUrl(rawUrl);
  switch (request.kind) {
    case 'invalid':
      return forbidden(request.reason);
    case 'file':
      return resolveOpenedFile(request.filePath, policy);
    case 'thumbnail':
    case 'original': {
      const photo = await policy.lookupPhoto(request.id);
      const filePath = request.kind === 'thumbnail' ? photo?.thumbnailPath : photo?.originalPath;
      if (filePath === null || filePath === undefined) return notFound(`no ${request.kind}`);
      // Each kind has its own home: a thumbnail path pointing into a library root (or an
      // original pointing into the cache) means the database was tampered with.
      const allowed =
        request.kind === 'thumbnail' ? [policy.thumbnailDir] : [...policy.libraryRoots];
      return serveInside(filePath, await realFolders(allowed));
    }
  }
}

/**
 * Only the exact path the user opened is served: membership is checked on the text before the
 * disk is touched (no probing for existence), and the file is then served by its real path.
 */
async function resolveOpenedFile(
  filePath: string,
  policy: PhotoAccessPolicy,
): Promise<PhotoResolution> {
  if (!isCleanAbsolutePath(filePath)) return forbidden('path is not a clean absolute path');
  const opened = new Set([...(policy.openedFiles ?? [])].map((entry) => path.resolve(entry)));
  if (!opened.has(filePath)) return forbidden('file was not opened by the user');
  const realFile = await realPathOrNull(filePath);
  if (realFile === null) return notFound('file does not exist');
  return withMimeType(realFile);
}

/** URL the renderer uses for a file the user opened outside the library. */
export function openedFileUrl(filePath: string): string {
  return `${PHOTO_SCHEME}://file/?path=${encodeURIComponent(filePath)}`;
}
