// Which file is an image's XMP sidecar. Two conventions exist (checked against the apps' docs
// and bug trackers where we could; the rest is our understanding, marked as such):
//
// - `photo.jpg.xmp` (extension kept, ".xmp" appended): what darktable writes and reads (it also
//   numbers duplicates, `photo_01.jpg.xmp`), and digiKam's default (see KDE bug 278935 and the
//   discussion in KDE/digikam PR #6). Immich looks for both names and prefers this one. It
//   cannot collide between `photo.jpg` and `photo.cr2`.
// - `photo.xmp` (extension replaced): Adobe's convention. Lightroom Classic / Camera Raw /
//   Bridge write and read it for proprietary RAW files only; for JPEG, TIFF, PNG, PSD and DNG
//   they embed XMP in the file and do not read sidecars at all. Our understanding (not verified
//   against their sources): recent digiKam versions have an option to use this name too, and
//   darktable does not read it.
//
// Policy for 'auto': update whichever sidecar already exists (the appended name first, as it is
// unambiguous); otherwise create `photo.xmp` for RAW, so Lightroom/Camera Raw see our keywords,
// and `photo.jpg.xmp` for everything else, since no Adobe app reads a JPEG
// sidecar anyway and darktable/digiKam do read the appended name. DNG counts as non-RAW here
// because Adobe embeds XMP in DNG files. An existing `photo.xmp` is only adopted for a non-RAW
// image when no other file in the folder shares its base name: in a RAW+JPEG pair it belongs to
// the RAW (and carries Lightroom's develop settings), so we leave it alone.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, parse } from 'node:path';
import { SidecarError } from './sidecar-error.ts';

export type SidecarNaming = 'auto' | 'append' | 'replace-extension';

// Proprietary camera RAW formats for which Adobe apps use `basename.xmp` sidecars.
const RAW_EXTENSIONS = new Set([
  '.3fr', '.ari', '.arw', '.bay', '.cr2', '.cr3', '.crw', '.dcr', '.erf', '.fff', '.gpr',
  '.iiq', '.k25', '.kdc', '.mef', '.mos', '.mrw', '.nef', '.nrw', '.orf', '.pef', '.raf',
  '.raw', '.rw2', '.rwl', '.sr2', '.srf', '.srw', '.x3f',
]); // prettier-ignore

export function isRawImage(imagePath: string): boolean {
  return RAW_EXTENSIONS.has(extname(imagePath).toLowerCase());
}

/** `photo.jpg` → `photo.jpg.xmp` (darktable, digiKam default). */
export function appendedSidecarPath(imagePath: string): string {
  return `${imagePath}.xmp`;
}

/** `photo.cr2` → `photo.xmp` (Adobe). */
export function replacedExtensionSidecarPath(imagePath: string): string {
  const { dir, name } = parse(imagePath);
  return join(dir, `${name}.xmp`);
}

/** The sidecar to read or write for `imagePath`; only the folder is listed, the image never opened. */
export async function resolveSidecarPath(
  imagePath: string,
  naming: SidecarNaming,
): Promise<string> {
  if (extname(imagePath).toLowerCase() === '.xmp' || basename(imagePath) === '') {
    throw new SidecarError('invalid-image-path', imagePath, 'not an image path');
  }
  if (naming === 'append') return appendedSidecarPath(imagePath);
  if (naming === 'replace-extension') return replacedExtensionSidecarPath(imagePath);

  const appended = appendedSidecarPath(imagePath);
  if (await isFile(appended)) return appended;
  const replaced = replacedExtensionSidecarPath(imagePath);
  const raw = isRawImage(imagePath);
  if ((await isFile(replaced)) && (raw || (await ownsBaseName(imagePath)))) return replaced;
  return raw ? replaced : appended;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** True when no other (non-.xmp) file in the folder shares the image's base name. */
async function ownsBaseName(imagePath: string): Promise<boolean> {
  const { name, base } = parse(imagePath);
  try {
    const entries = await readdir(dirname(imagePath));
    return !entries.some(
      (entry) =>
        entry !== base && parse(entry).name === name && extname(entry).toLowerCase() !== '.xmp',
    );
  } catch {
    return false;
  }
}
