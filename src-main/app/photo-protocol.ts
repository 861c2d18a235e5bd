// Decides which file a `sightline-photo://` request may read. The renderer is untrusted input: a
// compromised page must not be able to read ~/.ssh through <img src>, so every answer is a real
// path (symlinks resolved) inside a folder the user gave us, or a file the user opened by hand.
// No Electron here: the wiring lives in photo-protocol-handler.ts.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { PHOTO_URL_SCHEME, parsePhotoPath, type PhotoFileKind } from '../shared/photo-urls.ts';

export const PHOTO_SCHEME = PHOTO_URL_SCHEME;

/** A file the service names for a photo URL (its content type is decided here, not there). */
export interface ServedFile {
  path: string;
}

export interface PhotoAccessPolicy {
  /** Folders the user indexed. Originals must live inside one of them. */
  libraryRoots: readonly string[];
  /** Folder holding generated thumbnails; thumbnails must live inside it. */
  thumbnailDir?: string;
  /** The exact files the shell reported as opened by the user ("Open with", the command line). */
  openedFiles?: Iterable<string>;
  /** The service's answer for `<kind>/<id>`; null when it knows no such file. */
  photoFile: (kind: PhotoFileKind, id: number) => Promise<ServedFile | null>;
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

type ParsedRequest = { kind: PhotoFileKind; id: number } | { kind: 'invalid'; reason: string };

/**
 * `sightline-photo://<kind>/<id>`, nothing else: the URL names a number, never a path. The raw
 * text is inspected before `new URL()`, because the parser silently resolves `..` segments:
 * `thumbnail/../../etc` would otherwise arrive looking harmless.
 */
export function parsePhotoUrl(rawUrl: string): ParsedRequest {
  const invalid = (reason: string): ParsedRequest => ({ kind: 'invalid', reason });
  if (rawUrl.includes('\0')) return invalid('NUL byte in URL');
  if (SUSPICIOUS_ESCAPES.test(rawUrl)) return invalid('encoded separator or dot in URL');
  if (rawUrl.includes('\\')) return invalid('backslash in URL');
  if (/\/\.\.?(\/|$)/.test(rawUrl)) return invalid('dot segment in URL');
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
  if (url.hash !== '' || rawUrl.includes('#')) return invalid('fragment in URL');
  if (url.search !== '' || rawUrl.includes('?')) return invalid('query in URL');
  // Chromium lowercases the host of standard schemes; Node's parser does not, so match both.
  const parsed = parsePhotoPath(`${url.hostname.toLowerCase()}${url.pathname}`);
  if (parsed === null) return invalid('expected <thumbnail|original|opened>/<number>');
  return { kind: parsed.kind, id: parsed.photoId };
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
  if (request.kind === 'invalid') return forbidden(request.reason);
  const served = await policy.photoFile(request.kind, request.id);
  if (served === null) return notFound(`no ${request.kind} ${request.id}`);
  switch (request.kind) {
    case 'opened':
      return resolveOpenedFile(served.path, policy);
    // Each kind has its own home: a thumbnail path pointing into a library root (or an
    // original pointing into the cache) means the database was tampered with.
    case 'thumbnail':
      return serveInside(served.path, await realFolders([policy.thumbnailDir]));
    case 'original':
      return serveInside(served.path, await realFolders(policy.libraryRoots));
  }
}

/**
 * Only the exact files the shell reported are served: membership is checked on the text before
 * the disk is touched (no probing for existence), and the file is then served by its real path.
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
