import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuntimeOptions } from '../engine/runtime/providers.ts';
import { openLibraryDatabase, type LibraryDatabase } from '../library/db/database.ts';
import type { RootSpec } from '../library/indexer/indexer.ts';
import { defaultModelsDir, defaultThumbnailDir } from '../library/paths.ts';
import { describeFileError } from '../library/queries/file-error-reasons.ts';
import { listErrors, listTags } from '../library/queries/library-queries.ts';
import { photoDisplay } from '../library/queries/photo-fields.ts';
import type { AppEventListener, Unsubscribe } from '../shared/app-events.ts';
import { AppError } from '../shared/app-error.ts';
import type {
  AddRootRequest,
  AskRequest,
  AskResult,
  DescribeImageRequest,
  DescribeImageResult,
  DuplicateStack,
  FileError,
  FilePathRequest,
  FindSimilarRequest,
  FolderCount,
  IndexingStatus,
  LibraryRoot,
  LibraryState,
  ListPhotosRequest,
  ModelStatus,
  OpenedFile,
  PhotoDetails,
  PickFoldersResult,
  SearchFilters,
  ShowInFolderResult,
  PhotoHit,
  PhotoPage,
  PhotoRequest,
  RemoveRootRequest,
  RemoveRootResult,
  RetryFilesRequest,
  SearchRequest,
  SetupModelsRequest,
  SetupModelsResult,
  StartIndexingRequest,
  TagCount,
  TagEditRequest,
  UpdateCaptionRequest,
} from '../shared/contract.ts';
import { DEFAULT_PHOTO_URL_PREFIX, photoUrl, type PhotoFileKind } from '../shared/photo-urls.ts';
import { AnswerRunner, type AnswerSettings } from './answer-runner.ts';
import { DuplicateStacks, type StackIndex } from './duplicate-stacks.ts';
import { EventHub } from './event-hub.ts';
import { IndexingController, type IndexingSettings } from './indexing-controller.ts';
import { LibraryEdits } from './library-edits.ts';
import {
  getPhoto,
  listFolders,
  listPhotos,
  listRoots,
  photoFile,
  type PhotoFile,
} from './library-reads.ts';
import { ModelHost } from './model-host.ts';
import { OpenedFiles } from './opened-files.ts';
import { conversationPrompt } from './qa-prompt.ts';
import { SearchHost } from './search-host.ts';
import type { OpenFilesOptions, ServiceHostApi } from './service-host-api.ts';

export interface AppServiceOptions {
  /** The library database (created when missing). */
  databasePath: string;
  /** Reported by getVersion (the Electron shell passes app.getVersion()). */
  version: string;
  /** Default: `thumbnails` beside the database. */
  thumbnailDir?: string;
  /** Where installed models live (default: `<data folder>/models`). */
  modelsDir?: string;
  /** Converted folders to use instead of the installed default models. */
  captionModelDir?: string;
  searchModelDir?: string;
  runtime?: RuntimeOptions;
  /** Prefix of photo URLs (default `sightline-photo://`; the loopback server uses `<url>/photo/`). */
  photoUrlPrefix?: string;
  indexing?: IndexingSettings;
  answers?: AnswerSettings;
  /** Hugging Face endpoint for setupModels (default HF_ENDPOINT, else huggingface.co). */
  hubEndpoint?: string;
  /** better-sqlite3 binary built for Electron's ABI (development `npm start` runs under Electron). */
  sqliteNativeBinding?: string;
}

/**
 * The app core behind the AppApi contract: library database, indexer, search and BLIP-2, with
 * every slow step asynchronous. No Electron here: the shell runs it in a utility process and
 * forwards calls; tests and the loopback transport use it directly. Callers are expected to have
 * validated requests against the contract's schemas (every transport does).
 */
export class AppService implements ServiceHostApi {
  readonly db: LibraryDatabase;
  private readonly events = new EventHub();
  private readonly models: ModelHost;
  private readonly indexing: IndexingController;
  private readonly searchHost: SearchHost;
  private readonly duplicates: DuplicateStacks;
  private readonly answers: AnswerRunner;
  private readonly edits: LibraryEdits;
  private readonly opened = new OpenedFiles();
  private urlPrefix: string;
  private readonly version: string;

  constructor(options: AppServiceOptions) {
    this.version = options.version;
    this.urlPrefix = options.photoUrlPrefix ?? DEFAULT_PHOTO_URL_PREFIX;
    this.db = openLibraryDatabase(
      options.databasePath,
      options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {},
    );
    const emit = this.events.emit.bind(this.events);
    this.models = new ModelHost({
      modelsDir: options.modelsDir ?? defaultModelsDir(),
      ...(options.captionModelDir ? { captionModelDir: options.captionModelDir } : {}),
      ...(options.searchModelDir ? { searchModelDir: options.searchModelDir } : {}),
      runtime: options.runtime ?? { providers: ['cpu'], intraOpThreads: 0 },
      ...(options.hubEndpoint ? { hubEndpoint: options.hubEndpoint } : {}),
      emit,
    });
    this.searchHost = new SearchHost(this.db, this.models);
    this.duplicates = new DuplicateStacks(this.db, () =>
      this.events.emit({ type: 'library-changed', reason: 'edit', photoIds: null }),
    );
    this.thumbnailDir = options.thumbnailDir ?? defaultThumbnailDir(options.databasePath);
    this.indexing = new IndexingController({
      db: this.db,
      models: this.models,
      thumbnailDir: this.thumbnailDir,
      settings: options.indexing ?? {},
      emit,
      onPhotosChanged: () => {
        this.searchHost.photosChanged();
        this.duplicates.photosChanged();
      },
    });
    this.answers = new AnswerRunner(this.models, emit, options.answers);
    this.edits = new LibraryEdits(this.db);
  }

  /** Photo URLs start with this; the loopback server sets it once it knows its own address. */
  setPhotoUrlPrefix(prefix: string): void {
    this.urlPrefix = prefix;
  }

  /** The file behind a photo URL, by photo id only (used by the shell's protocol handler). */
  photoFile(kind: PhotoFileKind, photoId: number): Promise<PhotoFile | null> {
    if (kind === 'opened') return Promise.resolve(this.opened.file(photoId));
    return Promise.resolve(photoFile(this.db, kind, photoId));
  }

  /**
   * Host-only (never reachable from the renderer): the shell reports image files the user opened
   * with Sightline. They become displayable and are announced with a `files-opened` event.
   */
  openFiles(paths: readonly string[], options: OpenFilesOptions = {}): Promise<OpenedFile[]> {
    return attempt(() => {
      const files = this.opened.add(paths, this.urlPrefix);
      if (files.length > 0 && options.announce !== false) {
        this.events.emit({ type: 'files-opened', files });
      }
      return files;
    });
  }

  /** Host-only: where thumbnails are written (the shell's photo protocol serves only from there). */
  readonly thumbnailDir: string;

  /** Host-only: the folders the shell's photo protocol may serve files from. */
  servingFolders(): Promise<{ libraryRoots: string[]; thumbnailDir: string }> {
    return attempt(() => ({
      libraryRoots: listRoots(this.db).map((root) => root.path),
      thumbnailDir: this.thumbnailDir,
    }));
  }

  subscribe = (listener: AppEventListener): Unsubscribe => this.events.subscribe(listener);

  getVersion = (): Promise<string> => Promise.resolve(this.version);

  getModelStatus = (): Promise<ModelStatus> => Promise.resolve(this.models.status());

  setupModels = (request: SetupModelsRequest): Promise<SetupModelsResult> =>
    attempt(() => ({ started: this.models.setup(request.names) }));

  /** No native picker in the service: the Electron shell answers this call itself. */
  pickFolders = (): Promise<PickFoldersResult> => Promise.resolve({ supported: false, paths: [] });

  listRoots = (): Promise<LibraryRoot[]> => Promise.resolve(listRoots(this.db));

  addRoot = (request: AddRootRequest): Promise<LibraryRoot> =>
    attempt(() => {
      const rootId = this.edits.addRoot(request.path);
      this.events.emit({ type: 'library-changed', reason: 'roots', photoIds: null });
      return listRoots(this.db).find((r) => r.rootId === rootId)!;
    });

  removeRoot = (request: RemoveRootRequest): Promise<RemoveRootResult> =>
    attempt(() => {
      if (this.indexing.busy) {
        throw new AppError('conflict', 'cannot remove a folder while indexing; cancel it first');
      }
      if (!this.edits.removeRoot(request.rootId)) {
        throw new AppError('not-found', `no library folder ${request.rootId}`);
      }
      this.searchHost.photosChanged();
      this.duplicates.photosChanged();
      this.events.emit({ type: 'library-changed', reason: 'roots', photoIds: null });
      return { removed: true };
    });

  startIndexing = (request: StartIndexingRequest): Promise<IndexingStatus> =>
    attempt(() => {
      const roots = listRoots(this.db).filter(
        (r) => request.rootIds === undefined || request.rootIds.includes(r.rootId),
      );
      if (request.rootIds?.some((id) => !roots.some((r) => r.rootId === id))) {
        throw new AppError('not-found', 'no such library folder');
      }
      this.indexing.start(roots.map((r) => this.rootSpec(r.rootId, r.path)));
      return this.indexing.status();
    });

  pauseIndexing = (): Promise<IndexingStatus> =>
    attempt(() => {
      this.indexing.pause();
      return this.indexing.status();
    });

  resumeIndexing = (): Promise<IndexingStatus> =>
    attempt(() => {
      this.indexing.resume();
      return this.indexing.status();
    });

  cancelIndexing = (): Promise<IndexingStatus> =>
    attempt(() => {
      this.indexing.cancel();
      return this.indexing.status();
    });

  getIndexingStatus = (): Promise<IndexingStatus> => attempt(() => this.indexing.status());

  /** One read transaction, so every count on every screen comes from the same moment. */
  getLibraryState = (): Promise<LibraryState> =>
    attempt(() =>
      this.db.transaction(() => ({
        status: this.indexing.status(),
        roots: listRoots(this.db),
        folders: listFolders(this.db),
        tags: listTags(this.db),
      }))(),
    );

  retryFiles = (request: RetryFilesRequest): Promise<IndexingStatus> =>
    attempt(() => {
      if (this.indexing.busy) {
        throw new AppError('conflict', 'indexing is running; try again when it has finished');
      }
      const rootIds = this.edits.requeueFailed(request.paths);
      if (rootIds.length === 0) throw new AppError('not-found', 'none of these files failed');
      this.events.emit({ type: 'library-changed', reason: 'indexing', photoIds: null });
      const roots = listRoots(this.db).filter((r) => rootIds.includes(r.rootId));
      this.indexing.start(roots.map((r) => this.rootSpec(r.rootId, r.path)));
      return this.indexing.status();
    });

  listPhotos = async (request: ListPhotosRequest): Promise<PhotoPage> => {
    const stacks = request.stacked === true ? await this.duplicates.index() : null;
    return listPhotos(
      this.db,
      request.filters ? { ...request, filters: resolvedFilters(request.filters) } : request,
      this.urlPrefix,
      stacks && {
        hidden: stacks.hidden,
        sizeOf: (photoId) => stacks.byPhoto.get(photoId)?.files,
      },
    );
  };

  listDuplicates = async (): Promise<DuplicateStack[]> => this.duplicates.list(this.urlPrefix);

  chooseStackPhoto = async (request: PhotoRequest): Promise<DuplicateStack[]> => {
    await this.duplicates.show(request.photoId);
    this.events.emit({ type: 'library-changed', reason: 'edit', photoIds: null });
    return this.duplicates.list(this.urlPrefix);
  };

  getPhoto = (request: PhotoRequest): Promise<PhotoDetails> =>
    attempt(() => getPhoto(this.db, request.photoId, this.urlPrefix));

  listErrors = (): Promise<FileError[]> =>
    attempt(() =>
      listErrors(this.db).map((e) => ({ ...e, ...describeFileError(e.path, e.stage, e.reason) })),
    );
  listTags = (): Promise<TagCount[]> => attempt(() => listTags(this.db));
  listFolders = (): Promise<FolderCount[]> => attempt(() => listFolders(this.db));

  search = async (request: SearchRequest): Promise<PhotoHit[]> => {
    const hits = await this.searchHost.search(
      request.text,
      {
        ...(request.limit !== undefined ? { limit: request.limit } : {}),
        ...(request.filters ? { filters: resolvedFilters(request.filters) } : {}),
      },
      this.urlPrefix,
    );
    return request.stacked === true ? this.stackHits(hits) : hits;
  };

  /** The service cannot reach a file manager; the Electron shell reveals the returned path. */
  showInFolder = (request: PhotoRequest): Promise<ShowInFolderResult> =>
    attempt(() => ({ path: this.photoPath(request.photoId), revealed: false }));

  showFileInFolder = (request: FilePathRequest): Promise<ShowInFolderResult> =>
    attempt(() => {
      const tracked = this.db
        .prepare<[string], { path: string }>(
          "SELECT path FROM files WHERE path = ? AND status != 'missing'",
        )
        .get(resolve(request.path));
      if (!tracked) throw new AppError('not-found', 'the library does not hold this file');
      return { path: tracked.path, revealed: false };
    });

  listOpenedFiles = (): Promise<OpenedFile[]> => Promise.resolve(this.opened.list(this.urlPrefix));

  findSimilar = async (request: FindSimilarRequest): Promise<PhotoHit[]> => {
    const hits = await this.searchHost.similar(request.photoId, request.limit, this.urlPrefix);
    if (request.stacked !== true) return hits;
    // The photo's own copies are what it is similar to least usefully: they are the photo.
    const own = (await this.duplicates.index()).byPhoto.get(request.photoId)?.photoIds ?? [];
    return this.stackHits(hits.filter((hit) => !own.includes(hit.photoId)));
  };

  /** One hit per stack, at its best member's rank and score, shown as the stack's chosen photo. */
  private async stackHits(hits: readonly PhotoHit[]): Promise<PhotoHit[]> {
    const index: StackIndex = await this.duplicates.index();
    const seen = new Set<number>();
    const stacked: PhotoHit[] = [];
    for (const hit of hits) {
      const stack = index.byPhoto.get(hit.photoId);
      if (!stack) {
        stacked.push(hit);
        continue;
      }
      if (seen.has(stack.shown)) continue;
      seen.add(stack.shown);
      const shown = photoDisplay(this.db, [stack.shown]).get(stack.shown);
      stacked.push({
        ...hit,
        photoId: stack.shown,
        path: shown?.path ?? hit.path,
        caption: shown?.caption ?? hit.caption,
        thumbnailUrl: photoUrl(this.urlPrefix, 'thumbnail', stack.shown),
        stackSize: stack.files,
      });
    }
    return stacked;
  }

  describeImage = async (request: DescribeImageRequest): Promise<DescribeImageResult> => {
    const path = requireImageFile(request.path);
    this.models.requireDir('caption');
    const requestId = request.requestId ?? randomUUID();
    try {
      const caption = await this.answers.generate(path, null, requestId);
      return { caption, requestId };
    } catch (error) {
      this.events.emit({ type: 'answer-error', requestId, error: messageOf(error) });
      throw error;
    }
  };

  /** Checks everything that can be checked at once, then answers in the background. */
  ask = (request: AskRequest): Promise<AskResult> =>
    attempt(() => {
      const path =
        'photoId' in request ? this.photoPath(request.photoId) : requireImageFile(request.path);
      this.models.requireDir('caption');
      const requestId = request.requestId ?? randomUUID();
      const prompt = conversationPrompt(request.history, request.question);
      this.answers.generate(path, prompt, requestId).catch((error: unknown) => {
        this.events.emit({ type: 'answer-error', requestId, error: messageOf(error) });
      });
      return { requestId };
    });

  updateCaption = (request: UpdateCaptionRequest): Promise<PhotoDetails> =>
    this.edit(request.photoId, () => this.edits.setUserCaption(request.photoId, request.caption));

  addTag = (request: TagEditRequest): Promise<PhotoDetails> =>
    this.edit(request.photoId, () => this.edits.addUserTag(request.photoId, request.tag));

  removeTag = (request: TagEditRequest): Promise<PhotoDetails> =>
    this.edit(request.photoId, () => this.edits.removeTag(request.photoId, request.tag));

  /** Waits for background work (indexing, model setup), then frees models, workers and the database. */
  async close(): Promise<void> {
    await this.indexing.close();
    await this.models.release();
    this.searchHost.close();
    this.db.close();
  }

  private edit(photoId: number, change: () => void): Promise<PhotoDetails> {
    return attempt(() => {
      change();
      this.searchHost.photosChanged();
      this.events.emit({ type: 'library-changed', reason: 'edit', photoIds: [photoId] });
      return getPhoto(this.db, photoId, this.urlPrefix);
    });
  }

  private photoPath(photoId: number): string {
    const path = photoDisplay(this.db, [photoId]).get(photoId)?.path;
    if (path === undefined) throw new AppError('not-found', `no photo ${photoId} in the library`);
    return path;
  }

  private rootSpec(rootId: number, path: string): RootSpec {
    const row = this.db
      .prepare<[number], { include: string; exclude: string }>(
        'SELECT include_globs AS include, exclude_globs AS exclude FROM roots WHERE id = ?',
      )
      .get(rootId);
    const include = JSON.parse(row?.include ?? '[]') as string[];
    const exclude = JSON.parse(row?.exclude ?? '[]') as string[];
    return {
      path,
      ...(include.length > 0 ? { include } : {}),
      ...(exclude.length > 0 ? { exclude } : {}),
    };
  }
}

/** Runs synchronous work as a promise, so a throw becomes a rejection like any async failure. */
function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function resolvedFilters(filters: SearchFilters): SearchFilters {
  return filters.folder ? { ...filters, folder: resolve(filters.folder) } : filters;
}

function requireImageFile(path: string): string {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new AppError('invalid-request', `no such image file: ${file}`);
  }
  return file;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
