// Opt-in XMP sidecars so digiKam, darktable and Lightroom see Sightline's captions and keywords.
// Only the sidecar is ever opened; the image itself is not read, written or even stat'ed.
import { readIfExists, writeFileAtomic } from './atomic-write.ts';
import { SidecarError } from './sidecar-error.ts';
import { resolveSidecarPath, type SidecarNaming } from './sidecar-path.ts';
import { stripNonXmlChars, XmlSyntaxError } from './xml-text.ts';
import { keywordKey, XmpStructureError } from './xmp-model.ts';
import { normaliseSubjects, readXmpValues, renderNewXmp, updateXmp } from './xmp-update.ts';

export interface SidecarContent {
  /** Caption for dc:description (x-default); null leaves an existing description untouched. */
  readonly description: string | null;
  /** Keywords merged into dc:subject; the user's existing keywords are never removed. */
  readonly subjects: readonly string[];
}

export interface SidecarOptions {
  /** Default 'auto'; see sidecar-path.ts for which apps use which name. */
  readonly naming?: SidecarNaming;
}

export interface SidecarWriteResult {
  readonly path: string;
  /** 'unchanged' also covers "nothing to write and no sidecar yet" (no file is created then). */
  readonly action: 'created' | 'updated' | 'unchanged';
}

export interface SidecarReadResult {
  readonly path: string;
  readonly description: string | null;
  readonly subjects: string[];
}

export async function writeSidecar(
  imagePath: string,
  content: SidecarContent,
  options: SidecarOptions = {},
): Promise<SidecarWriteResult> {
  const path = await resolveSidecarPath(imagePath, options.naming ?? 'auto');
  const existingBytes = await readIfExists(path);
  if (existingBytes === null) {
    if (content.description === null && normaliseSubjects(content.subjects).length === 0) {
      return { path, action: 'unchanged' };
    }
    const created = renderNewXmp(content);
    verifyOutput(path, created, content);
    await writeFileAtomic(path, created, null);
    return { path, action: 'created' };
  }
  const existing = decodeSidecar(path, existingBytes);
  const updated = withSidecarErrors(path, () => updateXmp(existing, content));
  if (updated === existing) return { path, action: 'unchanged' };
  verifyOutput(path, updated, content);
  await writeFileAtomic(path, updated, existingBytes);
  return { path, action: 'updated' };
}

/** The sidecar `writeSidecar` would use, parsed; null when there is none. */
export async function readSidecar(
  imagePath: string,
  options: SidecarOptions = {},
): Promise<SidecarReadResult | null> {
  const path = await resolveSidecarPath(imagePath, options.naming ?? 'auto');
  const bytes = await readIfExists(path);
  if (bytes === null) return null;
  const values = withSidecarErrors(path, () => readXmpValues(decodeSidecar(path, bytes)));
  return { path, ...values };
}

function decodeSidecar(path: string, bytes: Buffer): string {
  // XMP packets must be Unicode; we only edit UTF-8 (what every sidecar writer we know uses).
  if (bytes[0] === 0xfe || bytes[0] === 0xff || bytes[0] === 0x00 || bytes[1] === 0x00) {
    throw new SidecarError(
      'unparseable',
      path,
      'UTF-16/32 sidecars are not supported; left untouched',
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new SidecarError('unparseable', path, 'not valid UTF-8; left untouched', { cause });
  }
}

function withSidecarErrors<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (cause) {
    if (cause instanceof XmlSyntaxError) {
      throw new SidecarError(
        'unparseable',
        path,
        `not well-formed XML (${cause.message}); left untouched`,
        {
          cause,
        },
      );
    }
    if (cause instanceof XmpStructureError) {
      throw new SidecarError('unsupported-structure', path, `${cause.message}; left untouched`, {
        cause,
      });
    }
    throw cause;
  }
}

/**
 * Re-reads what we are about to write. A bug in the splicing must surface as an error here, not
 * as a corrupted sidecar in someone's photo library.
 */
function verifyOutput(path: string, output: string, content: SidecarContent): void {
  const values = withSidecarErrors(path, () => readXmpValues(output));
  const present = new Set(values.subjects.map(keywordKey));
  const descriptionOk =
    content.description === null || values.description === stripNonXmlChars(content.description);
  if (
    !descriptionOk ||
    !normaliseSubjects(content.subjects).every((s) => present.has(keywordKey(s)))
  ) {
    throw new SidecarError(
      'unsupported-structure',
      path,
      'internal check of the updated sidecar failed',
    );
  }
}
