// The renderer's AppApi, built on ipcRenderer. Every method invokes its own channel and unwraps
// the IpcEnvelope the main process answers with, rebuilding the AppError it carried. Events
// arrive on one channel and fan out to every subscriber. Only src-main/shared may be imported:
// this file is bundled into the sandboxed preload.
import { AppError, isAppErrorCode } from '../shared/app-error.ts';
import type { AppApi, AppEvent, AppEventListener } from '../shared/contract.ts';
import { APP_EVENT_CHANNEL, IPC_CHANNELS } from '../shared/ipc-channels.ts';

/** The part of ipcRenderer this file uses (a fake in tests). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The value of a successful answer; an AppError for a failed or unreadable one. */
export function unwrapEnvelope(answer: unknown): unknown {
  if (isRecord(answer) && answer['ok'] === true && 'value' in answer) return answer['value'];
  if (isRecord(answer) && answer['ok'] === false && typeof answer['error'] === 'string') {
    const code = answer['code'];
    throw new AppError(isAppErrorCode(code) ? code : 'internal', answer['error']);
  }
  throw new AppError('internal', 'The main process sent an answer this version cannot read.');
}

export function createPreloadApi(ipc: IpcRendererLike): AppApi {
  const call = async <Result>(channel: string, ...request: unknown[]): Promise<Result> => {
    let answer: unknown;
    try {
      answer = await ipc.invoke(channel, ...request);
    } catch (error) {
      // Only refusals that are not the renderer's to handle end up here (an untrusted frame).
      throw new AppError('internal', error instanceof Error ? error.message : String(error));
    }
    return unwrapEnvelope(answer) as Result;
  };

  const listeners = new Set<AppEventListener>();
  ipc.on(APP_EVENT_CHANNEL, (_event, payload) => {
    for (const listener of [...listeners]) {
      try {
        listener(payload as AppEvent);
      } catch (error) {
        console.error('sightline: an event listener failed:', error);
      }
    }
  });

  return {
    getVersion: () => call(IPC_CHANNELS.getVersion),
    getModelStatus: () => call(IPC_CHANNELS.getModelStatus),
    setupModels: (request) => call(IPC_CHANNELS.setupModels, request),
    pickFolders: () => call(IPC_CHANNELS.pickFolders),
    listRoots: () => call(IPC_CHANNELS.listRoots),
    addRoot: (request) => call(IPC_CHANNELS.addRoot, request),
    removeRoot: (request) => call(IPC_CHANNELS.removeRoot, request),
    startIndexing: (request) => call(IPC_CHANNELS.startIndexing, request),
    pauseIndexing: () => call(IPC_CHANNELS.pauseIndexing),
    resumeIndexing: () => call(IPC_CHANNELS.resumeIndexing),
    cancelIndexing: () => call(IPC_CHANNELS.cancelIndexing),
    getIndexingStatus: () => call(IPC_CHANNELS.getIndexingStatus),
    getLibraryState: () => call(IPC_CHANNELS.getLibraryState),
    retryFiles: (request) => call(IPC_CHANNELS.retryFiles, request),
    listPhotos: (request) => call(IPC_CHANNELS.listPhotos, request),
    getPhoto: (request) => call(IPC_CHANNELS.getPhoto, request),
    listErrors: () => call(IPC_CHANNELS.listErrors),
    listTags: () => call(IPC_CHANNELS.listTags),
    listFolders: () => call(IPC_CHANNELS.listFolders),
    showInFolder: (request) => call(IPC_CHANNELS.showInFolder, request),
    showFileInFolder: (request) => call(IPC_CHANNELS.showFileInFolder, request),
    listOpenedFiles: () => call(IPC_CHANNELS.listOpenedFiles),
    search: (request) => call(IPC_CHANNELS.search, request),
    findSimilar: (request) => call(IPC_CHANNELS.findSimilar, request),
    listDuplicates: () => call(IPC_CHANNELS.listDuplicates),
    chooseStackPhoto: (request) => call(IPC_CHANNELS.chooseStackPhoto, request),
    describeImage: (request) => call(IPC_CHANNELS.describeImage, request),
    ask: (request) => call(IPC_CHANNELS.ask, request),
    updateCaption: (request) => call(IPC_CHANNELS.updateCaption, request),
    addTag: (request) => call(IPC_CHANNELS.addTag, request),
    removeTag: (request) => call(IPC_CHANNELS.removeTag, request),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  } satisfies AppApi;
}
