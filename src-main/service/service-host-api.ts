import type { AppApi, OpenedFile } from '../shared/contract.ts';
import type { PhotoFileKind } from '../shared/photo-urls.ts';

export interface OpenFilesOptions {
  /** false: only make the files displayable again (after a core restart), no `files-opened`. */
  announce?: boolean;
}

/**
 * What the shell (Electron main, or the e2e harness standing in for it) may call on the core:
 * the renderer's AppApi plus host-only methods the renderer must never reach.
 */
export interface ServiceHostApi extends AppApi {
  photoFile(
    kind: PhotoFileKind,
    photoId: number,
  ): Promise<{ path: string; contentType: string } | null>;
  openFiles(paths: readonly string[], options?: OpenFilesOptions): Promise<OpenedFile[]>;
  /** Folders the shell's photo protocol may serve from (library roots, thumbnail folder). */
  servingFolders(): Promise<{ libraryRoots: string[]; thumbnailDir: string }>;
  /** Graceful stop: waits for background work, frees models, closes the database. */
  close(): Promise<void>;
}
