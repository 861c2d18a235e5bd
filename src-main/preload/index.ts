// Sandboxed preload: the only bridge between the renderer and the main process. It forwards
// calls over IPC and nothing else, so the renderer never touches ipcRenderer directly.
// Only getVersion and describeImage are wired over IPC so far; the rest of AppApi (served by
// src-main/service/app-service.ts) is connected when the main process hosts that service.
import { contextBridge, ipcRenderer } from 'electron';
import type { AppApi, DescribeImageRequest, DescribeImageResult } from '../shared/contract.ts';
import { IPC_CHANNELS } from '../shared/ipc-channels.ts';

const api = {
  getVersion: () => ipcRenderer.invoke(IPC_CHANNELS.getVersion) as Promise<string>,
  describeImage: (request: DescribeImageRequest) =>
    ipcRenderer.invoke(IPC_CHANNELS.describeImage, request) as Promise<DescribeImageResult>,
} satisfies Pick<AppApi, 'getVersion' | 'describeImage'>;

contextBridge.exposeInMainWorld('sightline', api);
