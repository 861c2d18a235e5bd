// The one contract between the renderer and the app core. Pure TypeScript + zod only: the
// renderer imports this file, so nothing node-only or electron may appear here.
//
// Every request method takes at most one JSON object and resolves to JSON, so any transport
// (Electron IPC, the loopback HTTP server) can forward it generically using APP_METHODS.
import { z } from 'zod';
import type { AppEventListener, Unsubscribe } from './app-events.ts';
import {
  addRootRequestSchema,
  askRequestSchema,
  askResultSchema,
  duplicateStackSchema,
  fileErrorSchema,
  filePathRequestSchema,
  findSimilarRequestSchema,
  folderCountSchema,
  indexingStatusSchema,
  libraryRootSchema,
  libraryStateSchema,
  listPhotosRequestSchema,
  modelStatusSchema,
  openedFileSchema,
  photoDetailsSchema,
  pickFoldersResultSchema,
  showInFolderResultSchema,
  photoHitSchema,
  photoPageSchema,
  photoRequestSchema,
  removeRootRequestSchema,
  removeRootResultSchema,
  retryFilesRequestSchema,
  searchRequestSchema,
  setupModelsRequestSchema,
  setupModelsResultSchema,
  startIndexingRequestSchema,
  tagCountSchema,
  tagEditRequestSchema,
  updateCaptionRequestSchema,
  requestIdSchema,
} from './app-schemas.ts';
import type {
  AddRootRequest,
  AskRequest,
  AskResult,
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
} from './app-schemas.ts';
import { APP_ERROR_CODES } from './app-error.ts';

export { IPC_CHANNELS } from './ipc-channels.ts';
export * from './app-schemas.ts';
export * from './app-events.ts';
export * from './app-error.ts';
export * from './photo-urls.ts';

export const describeImageRequestSchema = z.object({
  path: z.string().min(1, 'path must not be empty').max(4096),
  /** Tokens are streamed as `answer-token` events under this id (a fresh id when left out). */
  requestId: requestIdSchema.optional(),
});
export type DescribeImageRequest = z.infer<typeof describeImageRequestSchema>;

export const describeImageResultSchema = z.object({
  caption: z.string(),
  requestId: requestIdSchema.optional(),
});
export type DescribeImageResult = z.infer<typeof describeImageResultSchema>;

/** Body of every failed call on the wire. */
export const appErrorBodySchema = z.object({
  error: z.string(),
  code: z.enum(APP_ERROR_CODES),
});

/**
 * What the renderer talks to: `window.sightline` in Electron (preload over IPC), or
 * `createHttpAppApi(url)` in a browser. Properties (not methods) so callers may pass them around
 * without `this` binding concerns. Failures reject with an `AppError` (see app-error.ts).
 */
export interface AppApi {
  getVersion: () => Promise<string>;

  /** Catalog models (installed / downloaded / missing, sizes) and the folders in use per role. */
  getModelStatus: () => Promise<ModelStatus>;
  /** Download + convert in the background; progress as `model-setup-progress` events. */
  setupModels: (request: SetupModelsRequest) => Promise<SetupModelsResult>;

  /** A native folder picker (Electron); `supported: false` elsewhere. */
  pickFolders: () => Promise<PickFoldersResult>;
  listRoots: () => Promise<LibraryRoot[]>;
  addRoot: (request: AddRootRequest) => Promise<LibraryRoot>;
  /** Forgets the folder and its files (photos on disk are never touched). */
  removeRoot: (request: RemoveRootRequest) => Promise<RemoveRootResult>;

  /** Starts indexing in the background (no-op when a run is going); `indexing-progress` events. */
  startIndexing: (request: StartIndexingRequest) => Promise<IndexingStatus>;
  pauseIndexing: () => Promise<IndexingStatus>;
  resumeIndexing: () => Promise<IndexingStatus>;
  /** Stops after the batch in flight; nothing done so far is lost. */
  cancelIndexing: () => Promise<IndexingStatus>;
  getIndexingStatus: () => Promise<IndexingStatus>;
  /** Counts, progress, library folders, sidebar folders and tags, read together (one truth). */
  getLibraryState: () => Promise<LibraryState>;
  /** Failed files become pending again and a run starts over their folders. */
  retryFiles: (request: RetryFilesRequest) => Promise<IndexingStatus>;

  listPhotos: (request: ListPhotosRequest) => Promise<PhotoPage>;
  getPhoto: (request: PhotoRequest) => Promise<PhotoDetails>;
  listErrors: () => Promise<FileError[]>;
  listTags: () => Promise<TagCount[]>;
  listFolders: () => Promise<FolderCount[]>;

  /** Reveals the photo's file in the system file manager (where there is one). */
  showInFolder: (request: PhotoRequest) => Promise<ShowInFolderResult>;
  /** The same for a file the library tracks that is no photo (a file that failed to index). */
  showFileInFolder: (request: FilePathRequest) => Promise<ShowInFolderResult>;
  /** Files opened with Sightline so far (also announced by `files-opened` events). */
  listOpenedFiles: () => Promise<OpenedFile[]>;

  search: (request: SearchRequest) => Promise<PhotoHit[]>;
  findSimilar: (request: FindSimilarRequest) => Promise<PhotoHit[]>;

  /** Pictures kept in several files (exact or near copies), with what tells them apart. */
  listDuplicates: () => Promise<DuplicateStack[]>;
  /** Shows this photo for its stack in the grid and results (nothing is deleted anywhere). */
  chooseStackPhoto: (request: PhotoRequest) => Promise<DuplicateStack[]>;

  /** Captions any image file (inside the library or not); streamed as `answer-token` events. */
  describeImage: (request: DescribeImageRequest) => Promise<DescribeImageResult>;
  /** Answers in the background: `answer-token`… then `answer-done` (or `answer-error`). */
  ask: (request: AskRequest) => Promise<AskResult>;

  /** The user's caption wins over the model's; an empty caption clears it. */
  updateCaption: (request: UpdateCaptionRequest) => Promise<PhotoDetails>;
  addTag: (request: TagEditRequest) => Promise<PhotoDetails>;
  /** Removes the tag from the photo, whichever source it came from. */
  removeTag: (request: TagEditRequest) => Promise<PhotoDetails>;

  /** Every app event goes to the listener until the returned function is called. */
  subscribe: (listener: AppEventListener) => Unsubscribe;
}

interface MethodSpec {
  /** null: the method takes no argument. */
  request: z.ZodType | null;
  response: z.ZodType;
}

/** Request and response schemas of every AppApi method except `subscribe`. */
export const APP_METHODS = {
  getVersion: { request: null, response: z.string() },
  getModelStatus: { request: null, response: modelStatusSchema },
  setupModels: { request: setupModelsRequestSchema, response: setupModelsResultSchema },
  pickFolders: { request: null, response: pickFoldersResultSchema },
  listRoots: { request: null, response: z.array(libraryRootSchema) },
  addRoot: { request: addRootRequestSchema, response: libraryRootSchema },
  removeRoot: { request: removeRootRequestSchema, response: removeRootResultSchema },
  startIndexing: { request: startIndexingRequestSchema, response: indexingStatusSchema },
  pauseIndexing: { request: null, response: indexingStatusSchema },
  resumeIndexing: { request: null, response: indexingStatusSchema },
  cancelIndexing: { request: null, response: indexingStatusSchema },
  getIndexingStatus: { request: null, response: indexingStatusSchema },
  getLibraryState: { request: null, response: libraryStateSchema },
  retryFiles: { request: retryFilesRequestSchema, response: indexingStatusSchema },
  listPhotos: { request: listPhotosRequestSchema, response: photoPageSchema },
  getPhoto: { request: photoRequestSchema, response: photoDetailsSchema },
  listErrors: { request: null, response: z.array(fileErrorSchema) },
  listTags: { request: null, response: z.array(tagCountSchema) },
  listFolders: { request: null, response: z.array(folderCountSchema) },
  showInFolder: { request: photoRequestSchema, response: showInFolderResultSchema },
  showFileInFolder: { request: filePathRequestSchema, response: showInFolderResultSchema },
  listOpenedFiles: { request: null, response: z.array(openedFileSchema) },
  search: { request: searchRequestSchema, response: z.array(photoHitSchema) },
  findSimilar: { request: findSimilarRequestSchema, response: z.array(photoHitSchema) },
  listDuplicates: { request: null, response: z.array(duplicateStackSchema) },
  chooseStackPhoto: { request: photoRequestSchema, response: z.array(duplicateStackSchema) },
  describeImage: { request: describeImageRequestSchema, response: describeImageResultSchema },
  ask: { request: askRequestSchema, response: askResultSchema },
  updateCaption: { request: updateCaptionRequestSchema, response: photoDetailsSchema },
  addTag: { request: tagEditRequestSchema, response: photoDetailsSchema },
  removeTag: { request: tagEditRequestSchema, response: photoDetailsSchema },
} as const satisfies Record<string, MethodSpec>;

export type AppMethodName = keyof typeof APP_METHODS;
export const APP_METHOD_NAMES = Object.keys(APP_METHODS) as AppMethodName[];

export function isAppMethodName(name: string): name is AppMethodName {
  return Object.hasOwn(APP_METHODS, name);
}

/** The API the schemas describe; must equal AppApi minus `subscribe` (checked below). */
type ApiFromSchemas = {
  [M in AppMethodName]: (typeof APP_METHODS)[M]['request'] extends z.ZodType
    ? (
        request: z.infer<(typeof APP_METHODS)[M]['request']>,
      ) => Promise<z.infer<(typeof APP_METHODS)[M]['response']>>
    : () => Promise<z.infer<(typeof APP_METHODS)[M]['response']>>;
};
export type AppRequestApi = Omit<AppApi, 'subscribe'>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile when the interface and the schema table drift apart. */
export type SchemasMatchInterface = Assert<Same<ApiFromSchemas, AppRequestApi>>;
