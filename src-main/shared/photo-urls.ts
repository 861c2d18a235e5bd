// Image URLs handed to the renderer. The Electron shell serves the `sightline-photo:` scheme; the
// loopback transport serves the same `<kind>/<photoId>` paths under `<server>/photo/`. Either way
// a URL names a photo id, never a file path, so the renderer cannot ask for arbitrary files.

export const PHOTO_URL_SCHEME = 'sightline-photo';
/** Default prefix: `sightline-photo://thumbnail/42`. */
export const DEFAULT_PHOTO_URL_PREFIX = `${PHOTO_URL_SCHEME}://`;

/** `opened/<n>`: the n-th file the user opened with Sightline (see OpenedFile). */
export const PHOTO_FILE_KINDS = ['thumbnail', 'original', 'opened'] as const;
export type PhotoFileKind = (typeof PHOTO_FILE_KINDS)[number];

export function photoUrl(prefix: string, kind: PhotoFileKind, photoId: number): string {
  return `${prefix}${kind}/${photoId}`;
}

/** `<kind>/<id>` (what follows the prefix) → its parts; null for anything else. */
export function parsePhotoPath(path: string): { kind: PhotoFileKind; photoId: number } | null {
  const match = /^(thumbnail|original|opened)\/([1-9]\d{0,15})$/.exec(path);
  if (!match) return null;
  const photoId = Number(match[2]);
  if (!Number.isSafeInteger(photoId)) return null;
  return { kind: match[1] as PhotoFileKind, photoId };
}
