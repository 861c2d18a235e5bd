import type { FileErrorKind } from '../../shared/app-schemas.ts';

/**
 * Turns what the indexer recorded about a failed file (a stage and a technical message naming
 * the file) into a reason a person can act on, plus the technical detail without the path
 * (the screen shows the path once, as the heading) or the stage name.
 */
export interface FileErrorReason {
  kind: FileErrorKind;
  summary: string;
  detail: string;
}

export const FILE_ERROR_SUMMARIES: Readonly<Record<FileErrorKind, string>> = {
  truncated: 'The file is cut off — it may not have finished copying.',
  empty: 'The file is empty — it may not have finished copying or downloading.',
  'not-an-image': 'This is not a picture, or it is in a format Sightline cannot read.',
  'unsupported-codec': 'The picture is compressed in a way Sightline cannot decode.',
  corrupt: 'The picture data is damaged.',
  'too-many-pixels': 'The picture is too large to open safely (too many pixels).',
  missing: 'The file is gone — it was moved or deleted.',
  unreadable: 'Sightline may not read this file — check its permissions.',
  metadata: 'The picture’s details (date, camera, place) could not be read.',
  other: 'Something went wrong while indexing this file.',
};

/** Phrases of the decoder's messages (engine/image/decode-error.ts), most specific first. */
const DECODE_PHRASES: readonly (readonly [RegExp, FileErrorKind])[] = [
  [/image data is truncated/i, 'truncated'],
  [/file is empty/i, 'empty'],
  [/not an image, or an unsupported image format/i, 'not-an-image'],
  [/codec not supported/i, 'unsupported-codec'],
  [/too many pixels/i, 'too-many-pixels'],
  [/image data is corrupt/i, 'corrupt'],
  [/file not found/i, 'missing'],
  [/not a regular file|file could not be read/i, 'unreadable'],
];

/** `Cannot decode image <path>: `, `Cannot read <path>: `, `Cannot read metadata of <path>: `. */
function withoutPath(message: string, path: string): string {
  let rest = message;
  for (const lead of ['Cannot decode image ', 'Cannot read metadata of ', 'Cannot read ']) {
    const prefix = `${lead}${path}: `;
    if (rest.startsWith(prefix)) {
      rest = rest.slice(prefix.length);
      break;
    }
  }
  return rest.split(path).join('the file');
}

function kindOf(stage: string | null, detail: string): FileErrorKind {
  if (stage === 'read') {
    return /ENOENT|no such file/i.test(detail) ? 'missing' : 'unreadable';
  }
  if (stage === 'metadata') return 'metadata';
  for (const [phrase, kind] of DECODE_PHRASES) if (phrase.test(detail)) return kind;
  return 'other';
}

export function describeFileError(
  path: string,
  stage: string | null,
  message: string,
): FileErrorReason {
  const detail = withoutPath(message, path);
  const kind = kindOf(stage, detail);
  return { kind, summary: FILE_ERROR_SUMMARIES[kind], detail };
}
