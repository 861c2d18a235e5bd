export type SidecarErrorReason =
  /** The existing sidecar is not well-formed XML / not valid UTF-8: left untouched. */
  | 'unparseable'
  /** Well-formed, but shaped in a way we cannot edit without risking the user's data. */
  | 'unsupported-structure'
  /** Something changed the sidecar while we were preparing our update. */
  | 'concurrent-modification'
  /** The image path cannot have a sidecar (e.g. it is itself an .xmp file). */
  | 'invalid-image-path';

/** Every refusal to read or write a sidecar; the file on disk is never modified when thrown. */
export class SidecarError extends Error {
  constructor(
    readonly reason: SidecarErrorReason,
    readonly sidecarPath: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${sidecarPath}: ${detail}`, options);
    this.name = 'SidecarError';
  }
}
