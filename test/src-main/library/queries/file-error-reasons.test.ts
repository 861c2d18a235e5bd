import { describe, expect, it } from 'vitest';
import {
  ImageDecodeError,
  type ImageDecodeReason,
} from '../../../../src-main/engine/image/decode-error.ts';
import {
  FILE_ERROR_SUMMARIES,
  describeFileError,
} from '../../../../src-main/library/queries/file-error-reasons.ts';
import type { FileErrorKind } from '../../../../src-main/shared/app-schemas.ts';

const path = '/photos/bad/cut-in-half.jpg';

/** What the indexer records for a decode failure: the decoder's own message. */
const decodeMessage = (reason: ImageDecodeReason, detail = ''): string =>
  new ImageDecodeError(path, reason, detail).message;

describe('describeFileError', () => {
  const cases: [ImageDecodeReason, FileErrorKind][] = [
    ['truncated', 'truncated'],
    ['empty', 'empty'],
    ['unsupported-format', 'not-an-image'],
    ['unsupported-codec', 'unsupported-codec'],
    ['corrupt', 'corrupt'],
    ['too-many-pixels', 'too-many-pixels'],
    ['not-found', 'missing'],
    ['not-a-file', 'unreadable'],
    ['unreadable', 'unreadable'],
  ];
  it.each(cases)('a decoder failure "%s" reads as %s', (reason, kind) => {
    const described = describeFileError(path, 'decode', decodeMessage(reason, 'libvips says no'));
    expect(described.kind).toBe(kind);
    expect(described.summary).toBe(FILE_ERROR_SUMMARIES[kind]);
  });

  it('keeps the technical detail without the path or the stage', () => {
    const message = decodeMessage('truncated', 'VipsJpeg: premature end of JPEG image');
    const described = describeFileError(path, 'decode', message);
    expect(described.summary).toBe('The file is cut off — it may not have finished copying.');
    expect(described.detail).toBe(
      'image data is truncated (incomplete file) (VipsJpeg: premature end of JPEG image)',
    );
    expect(described.detail).not.toContain(path);
  });

  it('tells a file that is gone from one that may not be read', () => {
    const gone = describeFileError(
      path,
      'read',
      `Cannot read ${path}: ENOENT: no such file or directory, open '${path}'`,
    );
    expect(gone.kind).toBe('missing');
    expect(gone.detail).toBe("ENOENT: no such file or directory, open 'the file'");
    const locked = describeFileError(
      path,
      'read',
      `Cannot read ${path}: EACCES: permission denied`,
    );
    expect(locked.kind).toBe('unreadable');
    expect(locked.detail).toBe('EACCES: permission denied');
  });

  it('names metadata failures and falls back to a generic reason', () => {
    expect(
      describeFileError(path, 'metadata', `Cannot read metadata of ${path}: bad IFD`).kind,
    ).toBe('metadata');
    const odd = describeFileError(path, 'inference', 'the model ran out of memory');
    expect(odd.kind).toBe('other');
    expect(odd.detail).toBe('the model ran out of memory');
  });
});
