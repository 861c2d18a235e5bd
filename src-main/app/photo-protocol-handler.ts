// Electron wiring of the `sightline-photo://` scheme. The access decisions live in
// photo-protocol.ts; this file only turns them into privileges and HTTP-like responses. The
// Electron objects are parameters so the response logic runs under plain Node in tests.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { CustomScheme, Protocol } from 'electron';
import {
  PHOTO_SCHEME,
  resolvePhotoRequest,
  type PhotoAccessPolicy,
  type PhotoResolution,
} from './photo-protocol.ts';

/**
 * standard: real host/path parsing (thumbnail/original/opened hosts) and a proper origin;
 * secure: counts as a secure context like https, so no mixed-content downgrades;
 * supportFetchAPI: the renderer may fetch() photos (e.g. to hand bytes to a canvas);
 * stream: large originals are streamed instead of buffered.
 */
export const PHOTO_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: PHOTO_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
};

/** Must run before the app's `ready` event (Electron's rule for privileged schemes). */
export function registerPhotoSchemePrivileges(
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>,
): void {
  protocol.registerSchemesAsPrivileged([PHOTO_SCHEME_PRIVILEGES]);
}

export interface PhotoRequest {
  url: string;
  method: string;
}

export async function respondToPhotoRequest(
  request: PhotoRequest,
  policy: PhotoAccessPolicy,
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed', { status: 405 });
  }
  let resolution: PhotoResolution;
  try {
    resolution = await resolvePhotoRequest(request.url, policy);
  } catch {
    // The core is restarting (or gone): the page may try again later, nothing was refused.
    return new Response('photo service unavailable', { status: 503 });
  }
  if (!resolution.ok) {
    return new Response(resolution.reason, { status: resolution.status });
  }
  const headers = {
    'Content-Type': resolution.mimeType,
    // The type comes from our own table; never let the browser guess something executable.
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  if (request.method === 'HEAD') return new Response(null, { status: 200, headers });
  const body = Readable.toWeb(createReadStream(resolution.filePath)) as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers });
}

/**
 * `policy` is read per request because library roots and opened files change while the app
 * runs (a folder added, a file opened from the file manager).
 */
export function handlePhotoProtocol(
  protocol: Pick<Protocol, 'handle'>,
  policy: () => PhotoAccessPolicy | Promise<PhotoAccessPolicy>,
): void {
  protocol.handle(PHOTO_SCHEME, async (request) => respondToPhotoRequest(request, await policy()));
}
