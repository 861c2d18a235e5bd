// The renderer's AppApi over Electron IPC: one `invoke` channel per method, each checked (the
// sender frame must be our own page, the payload must match the contract's zod schema) and
// forwarded to the core. Answers travel as IpcEnvelope values because Electron flattens thrown
// errors into "Error invoking remote method…"; the preload turns failures back into AppErrors.
// Electron objects are parameters, so all of this runs against fakes in tests.
import { z } from 'zod';
import { APP_METHODS, APP_METHOD_NAMES, AppError, IPC_CHANNELS } from '../shared/contract.ts';
import type {
  AppEvent,
  AppMethodName,
  AppRequestApi,
  ShowInFolderResult,
} from '../shared/contract.ts';
import { APP_EVENT_CHANNEL, type IpcEnvelope } from '../shared/ipc-channels.ts';
import {
  registerValidatedHandler,
  type IpcMainLike,
  type ValidatedHandlerOptions,
} from './security.ts';

/** A failure as data; anything that is not an AppError is the core's own fault (`internal`). */
export function failureEnvelope(error: unknown): IpcEnvelope<never> {
  if (error instanceof AppError) return { ok: false, error: error.message, code: error.code };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: message, code: 'internal' };
}

export async function toEnvelope<Value>(run: () => Promise<Value>): Promise<IpcEnvelope<Value>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return failureEnvelope(error);
  }
}

/** What only the shell can do for the renderer (native dialogs, the file manager). */
export interface ShellActions {
  pickFolders: AppRequestApi['pickFolders'];
  showItemInFolder: (path: string) => void;
}

/**
 * The API the renderer gets in Electron: the core's, except where the shell answers itself.
 * `showInFolder` asks the core which file the photo is (it checks the id), then reveals it;
 * `showFileInFolder` likewise checks the path is a file the library tracks.
 */
export function shellAppApi(core: AppRequestApi, shell: ShellActions): AppRequestApi {
  return {
    ...core,
    pickFolders: shell.pickFolders,
    showInFolder: async (request): Promise<ShowInFolderResult> => {
      const { path } = await core.showInFolder(request);
      shell.showItemInFolder(path);
      return { path, revealed: true };
    },
    showFileInFolder: async (request): Promise<ShowInFolderResult> => {
      const { path } = await core.showFileInFolder(request);
      shell.showItemInFolder(path);
      return { path, revealed: true };
    },
  };
}

function callMethod(api: AppRequestApi, method: AppMethodName, request: unknown): Promise<unknown> {
  // The payload has just been validated against APP_METHODS[method].request, which is what the
  // method's parameter type is derived from (contract.ts checks the two agree).
  const run = api[method] as (request?: unknown) => Promise<unknown>;
  return APP_METHODS[method].request === null ? run.call(api) : run.call(api, request);
}

/** Registers a validated handler on `IPC_CHANNELS[method]` for every AppApi request method. */
export function registerAppApiHandlers(
  ipcMain: IpcMainLike,
  api: AppRequestApi,
  options: Pick<ValidatedHandlerOptions, 'isTrusted'> = {},
): void {
  for (const method of APP_METHOD_NAMES) {
    const schema: z.ZodType = APP_METHODS[method].request ?? z.undefined();
    registerValidatedHandler(
      ipcMain,
      IPC_CHANNELS[method],
      schema,
      (request) => toEnvelope(() => callMethod(api, method, request)),
      {
        ...options,
        invalidPayload: (message): IpcEnvelope<unknown> => ({
          ok: false,
          error: message,
          code: 'invalid-request',
        }),
      },
    );
  }
}

/** The part of a BrowserWindow that events are sent through. */
export interface EventTarget {
  isDestroyed: () => boolean;
  webContents: { send: (channel: string, ...args: unknown[]) => void };
}

/** Sends each event to the window current at that moment; dropped while there is none. */
export function windowEventSender(window: () => EventTarget | null): (event: AppEvent) => void {
  return (event) => {
    const target = window();
    if (target === null || target.isDestroyed()) return;
    target.webContents.send(APP_EVENT_CHANNEL, event);
  };
}
