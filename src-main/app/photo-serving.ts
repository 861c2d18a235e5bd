// Connects the photo protocol's access policy (photo-protocol.ts) to the core: which folders may
// be served (library roots, thumbnail folder) and which file a `<kind>/<id>` URL names. The
// folders are fetched once and again whenever the roots change, not per request: a grid of
// thumbnails makes hundreds of requests a second.
import type { ServiceHostApi } from '../service/service-host-api.ts';
import type { AppEvent } from '../shared/contract.ts';
import type { PhotoAccessPolicy } from './photo-protocol.ts';

type ServingFolders = Awaited<ReturnType<ServiceHostApi['servingFolders']>>;

/** Nothing is served until the core has said where photos live. */
const NO_FOLDERS: ServingFolders = { libraryRoots: [], thumbnailDir: '' };

export class PhotoServing {
  private folders: Promise<ServingFolders> = Promise.resolve(NO_FOLDERS);
  private lastKnown: ServingFolders = NO_FOLDERS;

  constructor(
    private readonly core: Pick<ServiceHostApi, 'servingFolders' | 'photoFile'>,
    /** The exact files the shell reported as opened (OpenFileRequests.openedFiles). */
    private readonly openedFiles: Iterable<string>,
  ) {}

  /** Asks the core again; until it answers, requests wait for the new answer. */
  refresh(): void {
    this.folders = this.core.servingFolders().then(
      (folders) => {
        this.lastKnown = folders;
        return folders;
      },
      // A core that is restarting cannot answer; keep serving what was allowed before.
      () => this.lastKnown,
    );
  }

  /** Refreshes when the library's folders change, or a restarted core may know better. */
  readonly onEvent = (event: AppEvent): void => {
    const rootsChanged = event.type === 'library-changed' && event.reason === 'roots';
    const coreBack = event.type === 'service-state' && event.state === 'running';
    if (rootsChanged || coreBack) this.refresh();
  };

  async policy(): Promise<PhotoAccessPolicy> {
    const { libraryRoots, thumbnailDir } = await this.folders;
    return {
      libraryRoots,
      ...(thumbnailDir === '' ? {} : { thumbnailDir }),
      openedFiles: this.openedFiles,
      photoFile: (kind, id) => this.core.photoFile(kind, id),
    };
  }
}
