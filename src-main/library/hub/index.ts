// Downloading BLIP-2 checkpoints from the Hugging Face Hub (or a mirror, or the local HF cache).
export { DEFAULT_ENDPOINT, pullModel, type PullOptions, type PullResult } from './pull.ts';
export {
  setupModel,
  downloadDirFor,
  type SetupOptions,
  type SetupProgress,
  type SetupResult,
} from './setup.ts';
export { importLocalCheckpoint, type LocalCheckpoint } from './local-import.ts';
export { hfHubCacheDir } from './hf-cache.ts';
export { HubError, type HubErrorKind } from './errors.ts';
export type { PullProgress, FileProgress } from './progress.ts';
export {
  DOWNLOAD_RECORD_FILE,
  readDownloadRecord,
  type DownloadRecord,
} from './download-record.ts';
export { directoryBytes, formatBytes } from './disk.ts';
