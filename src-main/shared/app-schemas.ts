// Payloads of the app contract (see contract.ts). Every request is validated with these schemas
// wherever it crosses a process or network boundary; responses are validated by clients that
// cannot trust the other side (the loopback HTTP client).
import { z } from 'zod';

const count = z.number().int().nonnegative();
export const photoIdSchema = z.number().int().positive();
const nonEmptyPath = z.string().min(1, 'path must not be empty').max(4096);
/** Client-chosen id for streamed answers, so tokens can be matched before the reply arrives. */
export const requestIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'requestId: 1-64 letters, digits, - or _');
/** taken_at holds ISO 8601 local date-times; any prefix of one is a usable bound. */
const isoDateBound = z
  .string()
  .regex(
    /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?)?)?$/,
    'expected an ISO date such as 2019, 2019-07 or 2019-07-14',
  );
/** Tags are compared case-insensitively everywhere; user tags are stored lower-case. */
const tagText = z.string().trim().min(1, 'tag must not be empty').max(100);

export const emptyRequestSchema = z.strictObject({});

// ---- models ---------------------------------------------------------------------------------

export const modelRoleSchema = z.enum(['caption', 'search']);
export const modelInstallStateSchema = z.enum(['converted', 'downloaded', 'partial', 'missing']);

export const modelEntrySchema = z.object({
  name: z.string(),
  repoId: z.string().nullable(),
  role: modelRoleSchema.nullable(),
  isDefault: z.boolean(),
  purpose: z.string().nullable(),
  state: modelInstallStateSchema,
  /** Approximate catalog figures; null for models outside the catalog. */
  approxDownloadBytes: count.nullable(),
  approxMemoryBytes: count.nullable(),
  convertedBytes: count,
  downloadBytes: count,
  /** A `setupModels` run for this model: running, or the last one's failure. */
  setup: z.enum(['idle', 'running', 'failed']),
  setupError: z.string().nullable(),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

export const roleModelSchema = z.object({
  /** The converted folder this app uses for the role. */
  dir: z.string(),
  /** It holds a finished conversion. */
  ready: z.boolean(),
  /** The model is loaded in memory. */
  loaded: z.boolean(),
  /** Order the runtime tries execution providers in (e.g. cuda, cpu). */
  preferredProviders: z.array(z.string()),
  /** Providers the graphs opened so far run on (empty until the model is first used). */
  providers: z.array(z.string()),
  /** Why a preferred provider is not in use (e.g. CUDA missing), or null. */
  providerNote: z.string().nullable(),
  /** Size of the converted weights: about the memory the model needs to run (0 if not ready). */
  weightBytes: count,
});

export const modelStatusSchema = z.object({
  models: z.array(modelEntrySchema),
  caption: roleModelSchema,
  search: roleModelSchema,
});
export type ModelStatus = z.infer<typeof modelStatusSchema>;

export const setupModelsRequestSchema = z.object({
  names: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'not a model name'))
    .min(1)
    .max(8),
});
export type SetupModelsRequest = z.infer<typeof setupModelsRequestSchema>;
export const setupModelsResultSchema = z.object({ started: z.array(z.string()) });
export type SetupModelsResult = z.infer<typeof setupModelsResultSchema>;

// ---- library roots --------------------------------------------------------------------------

export const libraryRootSchema = z.object({
  rootId: z.number().int().positive(),
  path: z.string(),
  /** Files tracked under it (not counting missing ones). */
  files: count,
  addedAt: count,
});
export type LibraryRoot = z.infer<typeof libraryRootSchema>;

export const addRootRequestSchema = z.object({ path: nonEmptyPath });
export type AddRootRequest = z.infer<typeof addRootRequestSchema>;
export const removeRootRequestSchema = z.object({ rootId: z.number().int().positive() });
export type RemoveRootRequest = z.infer<typeof removeRootRequestSchema>;
export const removeRootResultSchema = z.object({ removed: z.boolean() });
export type RemoveRootResult = z.infer<typeof removeRootResultSchema>;

// ---- indexing -------------------------------------------------------------------------------

export const indexProgressSchema = z.object({
  phase: z.enum(['scanning', 'indexing', 'done', 'cancelled']),
  done: count,
  total: count,
  errors: count,
  photosPerSecond: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().nullable(),
  currentFile: z.string().nullable(),
});
export type IndexProgress = z.infer<typeof indexProgressSchema>;

/** `starting`: loading the models before the first file; `cancelling`: finishing the batch in flight. */
export const indexingStateSchema = z.enum(['idle', 'starting', 'running', 'paused', 'cancelling']);
export type IndexingState = z.infer<typeof indexingStateSchema>;

export const indexRunSchema = z.object({
  state: z.enum(['done', 'cancelled', 'failed']),
  finishedAt: count,
  scanned: count,
  analysed: count,
  linked: count,
  errors: count,
  message: z.string().nullable(),
});
export type IndexRun = z.infer<typeof indexRunSchema>;

export const indexingStatusSchema = z.object({
  photos: count,
  files: count,
  errors: count,
  pending: count,
  state: indexingStateSchema,
  /** The latest progress report of the current (or last) run. */
  progress: indexProgressSchema.nullable(),
  lastRun: indexRunSchema.nullable(),
});
export type IndexingStatus = z.infer<typeof indexingStatusSchema>;

export const startIndexingRequestSchema = z.object({
  /** Default: every library root. */
  rootIds: z.array(z.number().int().positive()).max(1000).optional(),
});
export type StartIndexingRequest = z.infer<typeof startIndexingRequestSchema>;

// ---- browsing -------------------------------------------------------------------------------

export const photoSummarySchema = z.object({
  photoId: photoIdSchema,
  path: z.string(),
  thumbnailUrl: z.string(),
  caption: z.string(),
  takenAt: z.string().nullable(),
  /** With `stacked`: how many copies (files) of this picture the one cell stands for. */
  stackSize: count.optional(),
});
export type PhotoSummary = z.infer<typeof photoSummarySchema>;

/** Newest first (by date taken; photos without a date last). */
export const photoPageSchema = z.object({
  total: count,
  offset: count,
  photos: z.array(photoSummarySchema),
});
export type PhotoPage = z.infer<typeof photoPageSchema>;

export const tagSourceSchema = z.enum(['user', 'keyword', 'caption', 'zero-shot']);
export type TagSource = z.infer<typeof tagSourceSchema>;

export const photoTagSchema = z.object({
  tag: z.string(),
  source: tagSourceSchema,
  score: z.number().nullable(),
});
export type PhotoTag = z.infer<typeof photoTagSchema>;

export const modelCaptionSchema = z.object({
  text: z.string(),
  modelKey: z.string(),
  /** ITM probability of the kept caption when CapFilt ran; null otherwise. */
  score: z.number().nullable(),
  createdAt: count,
});

export const photoDetailsSchema = z.object({
  photoId: photoIdSchema,
  /** Every file of the photo still on disk, the preferred one first. */
  paths: z.array(z.string()),
  thumbnailUrl: z.string(),
  originalUrl: z.string(),
  caption: z.object({
    /** What is shown: the user's caption when there is one, else the newest model caption. */
    text: z.string(),
    source: z.enum(['user', 'model', 'none']),
    user: z.string().nullable(),
    /** Model captions, newest first (one per caption model the photo was analysed with). */
    model: z.array(modelCaptionSchema),
  }),
  /** User tags first, then by score. */
  tags: z.array(photoTagSchema),
  exif: z.object({
    format: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    orientation: z.number().int().nullable(),
    takenAt: z.string().nullable(),
    cameraMake: z.string().nullable(),
    cameraModel: z.string().nullable(),
    keywords: z.array(z.string()),
    description: z.string().nullable(),
    byteSize: count,
  }),
  gps: z.object({ latitude: z.number(), longitude: z.number() }).nullable(),
});
export type PhotoDetails = z.infer<typeof photoDetailsSchema>;

export const photoRequestSchema = z.object({ photoId: photoIdSchema });
export type PhotoRequest = z.infer<typeof photoRequestSchema>;

/** Why files fail, in words a person can act on (see library/queries/file-error-reasons.ts). */
export const fileErrorKindSchema = z.enum([
  'truncated',
  'empty',
  'not-an-image',
  'unsupported-codec',
  'corrupt',
  'too-many-pixels',
  'missing',
  'unreadable',
  'metadata',
  'other',
]);
export type FileErrorKind = z.infer<typeof fileErrorKindSchema>;

export const fileErrorSchema = z.object({
  path: z.string(),
  /** The message the indexer recorded (technical; names the file). */
  reason: z.string(),
  stage: z.string().nullable(),
  kind: fileErrorKindSchema,
  /** One short sentence for people ("The file is cut off — …"). */
  summary: z.string(),
  /** The technical detail without the path or the stage (for a disclosure). */
  detail: z.string(),
});
export type FileError = z.infer<typeof fileErrorSchema>;

/** Failed files to index again (they become pending and a run starts). */
export const retryFilesRequestSchema = z.object({
  paths: z.array(nonEmptyPath).min(1).max(100_000),
});
export type RetryFilesRequest = z.infer<typeof retryFilesRequestSchema>;

export const filePathRequestSchema = z.object({ path: nonEmptyPath });
export type FilePathRequest = z.infer<typeof filePathRequestSchema>;

export const tagCountSchema = z.object({
  tag: z.string(),
  count,
  sources: z.array(tagSourceSchema),
});
export type TagCount = z.infer<typeof tagCountSchema>;

export const folderCountSchema = z.object({ path: z.string(), photos: count });
export type FolderCount = z.infer<typeof folderCountSchema>;

/**
 * Everything the screens count, read in one go so no two panels can disagree: the indexing
 * status (photo, file, waiting and error counts, progress, last run), the library folders with
 * their file counts, and the sidebar's folders and tags.
 */
export const libraryStateSchema = z.object({
  status: indexingStatusSchema,
  roots: z.array(libraryRootSchema),
  folders: z.array(folderCountSchema),
  tags: z.array(tagCountSchema),
});
export type LibraryState = z.infer<typeof libraryStateSchema>;

// ---- search ---------------------------------------------------------------------------------

export const searchFiltersSchema = z.object({
  from: isoDateBound.optional(),
  /** Inclusive at the given precision: `2019-07` keeps all of July. */
  to: isoDateBound.optional(),
  folder: nonEmptyPath.optional(),
  tag: tagText.optional(),
  /** Substring of the camera make or model. */
  camera: z.string().min(1).max(200).optional(),
  hasGps: z.boolean().optional(),
});
export type SearchFilters = z.infer<typeof searchFiltersSchema>;

export const listPhotosRequestSchema = z.object({
  offset: count,
  limit: z.number().int().min(1).max(1000),
  /** The same filters as search. */
  filters: searchFiltersSchema.optional(),
  /** Show each duplicate stack (same picture in several files) once, as its chosen photo. */
  stacked: z.boolean().optional(),
});
export type ListPhotosRequest = z.infer<typeof listPhotosRequestSchema>;

export const searchRequestSchema = z.object({
  text: z.string().trim().min(1, 'text must not be empty').max(1000),
  limit: z.number().int().min(1).max(500).optional(),
  filters: searchFiltersSchema.optional(),
  /** Show each duplicate stack (same picture in several files) once, as its chosen photo. */
  stacked: z.boolean().optional(),
});
export type SearchRequest = z.infer<typeof searchRequestSchema>;

// ---- files the user opened, folders, the file manager --------------------------------------

/** An image the user opened with Sightline ("Open with", command line), inside the library or not. */
export const openedFileSchema = z.object({
  path: z.string(),
  /** Where the renderer may display it (a URL naming an id, never the path). */
  url: z.string(),
});
export type OpenedFile = z.infer<typeof openedFileSchema>;

/** `supported: false`: this transport has no folder picker (the browser build): type a path. */
export const pickFoldersResultSchema = z.object({
  supported: z.boolean(),
  /** Empty when the user cancelled. */
  paths: z.array(z.string()),
});
export type PickFoldersResult = z.infer<typeof pickFoldersResultSchema>;

export const showInFolderResultSchema = z.object({
  path: z.string(),
  /** False where no file manager can be asked (the browser build). */
  revealed: z.boolean(),
});
export type ShowInFolderResult = z.infer<typeof showInFolderResultSchema>;

export const findSimilarRequestSchema = z.object({
  photoId: photoIdSchema,
  limit: z.number().int().min(1).max(500).optional(),
  /** Show each duplicate stack (same picture in several files) once, as its chosen photo. */
  stacked: z.boolean().optional(),
});
export type FindSimilarRequest = z.infer<typeof findSimilarRequestSchema>;

export const photoHitSchema = z.object({
  photoId: photoIdSchema,
  path: z.string(),
  thumbnailUrl: z.string(),
  caption: z.string(),
  score: z.number(),
  /** With `stacked`: how many copies (files) of this picture the one hit stands for. */
  stackSize: count.optional(),
});
export type PhotoHit = z.infer<typeof photoHitSchema>;

// ---- captions and questions -----------------------------------------------------------------

export const qaTurnSchema = z.object({
  question: z.string().trim().min(1).max(1000),
  answer: z.string().max(2000),
});
export type QaTurn = z.infer<typeof qaTurnSchema>;

const askCommon = {
  question: z.string().trim().min(1, 'question must not be empty').max(1000),
  /** Earlier turns, oldest first: kept as context in the prompt. */
  history: z.array(qaTurnSchema).max(20),
  requestId: requestIdSchema.optional(),
};
/** About a library photo (`photoId`) or any image file (`path`), never both. */
export const askRequestSchema = z.union([
  z.strictObject({ photoId: photoIdSchema, ...askCommon }),
  z.strictObject({ path: nonEmptyPath, ...askCommon }),
]);
export type AskRequest = z.infer<typeof askRequestSchema>;
export const askResultSchema = z.object({ requestId: requestIdSchema });
export type AskResult = z.infer<typeof askResultSchema>;

// ---- user edits -----------------------------------------------------------------------------

export const updateCaptionRequestSchema = z.object({
  photoId: photoIdSchema,
  /** The user's caption; empty clears it (the model's caption shows again). */
  caption: z.string().trim().max(2000),
});
export type UpdateCaptionRequest = z.infer<typeof updateCaptionRequestSchema>;

export const tagEditRequestSchema = z.object({ photoId: photoIdSchema, tag: tagText });
export type TagEditRequest = z.infer<typeof tagEditRequestSchema>;

// ---- duplicate stacks -----------------------------------------------------------------------

export const stackMemberSchema = z.object({
  photoId: photoIdSchema,
  thumbnailUrl: z.string(),
  /** Every file of this photo (identical content), the preferred one first. */
  paths: z.array(z.string()),
  format: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  byteSize: count,
  takenAt: z.string().nullable(),
});
export type StackMember = z.infer<typeof stackMemberSchema>;

/** One picture kept in several files: exact copies (one photo, several files) and near ones. */
export const duplicateStackSchema = z.object({
  /** The photo the grid and results show for the stack (the user's pick, else the largest). */
  shownPhotoId: photoIdSchema,
  members: z.array(stackMemberSchema),
});
export type DuplicateStack = z.infer<typeof duplicateStackSchema>;
