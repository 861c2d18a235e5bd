/** Why an image could not be decoded; stable codes for callers (e.g. the indexer's error list). */
export type ImageDecodeReason =
  | 'not-found'
  | 'not-a-file'
  | 'unreadable'
  | 'empty'
  | 'unsupported-format'
  | 'unsupported-codec'
  | 'truncated'
  | 'corrupt'
  | 'too-many-pixels';

const REASON_TEXT: Record<ImageDecodeReason, string> = {
  'not-found': 'file not found',
  'not-a-file': 'not a regular file',
  unreadable: 'file could not be read',
  empty: 'file is empty (0 bytes)',
  'unsupported-format': 'not an image, or an unsupported image format',
  'unsupported-codec': 'image codec not supported by the bundled decoder',
  truncated: 'image data is truncated (incomplete file)',
  corrupt: 'image data is corrupt',
  'too-many-pixels': 'image has too many pixels (refused before decoding)',
};

/** A per-file decode failure with a human message naming the file and the reason. */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';

  constructor(
    /** File path, or a label such as `<buffer>` for in-memory input. */
    readonly source: string,
    readonly reason: ImageDecodeReason,
    /** Extra detail (decoder message, dimensions); may be empty. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Cannot decode image ${source}: ${REASON_TEXT[reason]}${detail ? ` (${detail})` : ''}`,
      options,
    );
  }
}
