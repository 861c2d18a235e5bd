// IPC channel names, shared so the preload and the main process can never disagree. Kept apart
// from contract.ts (which pulls in zod) so the sandboxed preload bundle stays tiny: the method
// list is written out here, and the type check below keeps it equal to the contract's.
import type { AppErrorCode } from './app-error.ts';
import type { AppMethodName } from './contract.ts';

const channel = <Method extends string>(method: Method): `sightline:api:${Method}` =>
  `sightline:api:${method}`;

/** One `ipcRenderer.invoke` channel per AppApi request method. */
export const IPC_CHANNELS = {
  getVersion: channel('getVersion'),
  getModelStatus: channel('getModelStatus'),
  setupModels: channel('setupModels'),
  pickFolders: channel('pickFolders'),
  listRoots: channel('listRoots'),
  addRoot: channel('addRoot'),
  removeRoot: channel('removeRoot'),
  startIndexing: channel('startIndexing'),
  pauseIndexing: channel('pauseIndexing'),
  resumeIndexing: channel('resumeIndexing'),
  cancelIndexing: channel('cancelIndexing'),
  getIndexingStatus: channel('getIndexingStatus'),
  getLibraryState: channel('getLibraryState'),
  retryFiles: channel('retryFiles'),
  listPhotos: channel('listPhotos'),
  getPhoto: channel('getPhoto'),
  listErrors: channel('listErrors'),
  listTags: channel('listTags'),
  listFolders: channel('listFolders'),
  showInFolder: channel('showInFolder'),
  showFileInFolder: channel('showFileInFolder'),
  listOpenedFiles: channel('listOpenedFiles'),
  search: channel('search'),
  findSimilar: channel('findSimilar'),
  listDuplicates: channel('listDuplicates'),
  chooseStackPhoto: channel('chooseStackPhoto'),
  describeImage: channel('describeImage'),
  ask: channel('ask'),
  updateCaption: channel('updateCaption'),
  addTag: channel('addTag'),
  removeTag: channel('removeTag'),
} as const satisfies Record<AppMethodName, string>;

/** Main → renderer: every AppEvent (the service's and the shell's own) on this one channel. */
export const APP_EVENT_CHANNEL = 'sightline:event';

/**
 * What every IPC handler resolves to. Electron flattens a thrown error into "Error invoking
 * remote method…", losing its code, so failures travel as data and the preload rebuilds them.
 */
export type IpcEnvelope<Value> =
  { ok: true; value: Value } | { ok: false; error: string; code: AppErrorCode };
