// Sandboxed preload: the only bridge between the renderer and the main process. It exposes the
// AppApi as `window.sightline`, forwarding calls over IPC and nothing else, so the renderer
// never touches ipcRenderer directly.
//
// contextBridge copies a thrown Error's message but drops its other properties, so the
// renderer sees AppError messages (what it shows) while `code` stays on this side.
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './api.ts';

contextBridge.exposeInMainWorld('sightline', createPreloadApi(ipcRenderer));
