// Sandboxed preload: the only bridge between the renderer and the main process. It forwards
// calls over IPC and nothing else, so the renderer never touches ipcRenderer directly.
import { contextBridge, ipcRenderer } from 'electron';
import type { AppApi, DescribeImageResult } from '../shared/contract.ts';
import { IPC_CHANNELS } from '../shared/ipc-channels.ts';

const api = {
  getVersion: () => ipcRenderer.invoke(IPC_CHANNELS.getVersion) as Promise<string>,
  describeImage: (path: string) =>
    ipcRenderer.invoke(IPC_CHANNELS.describeImage, { path }) as Promise<DescribeImageResult>,
} satisfies AppApi;

contextBridge.exposeInMainWorld('sightline', api);
