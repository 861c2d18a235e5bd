// IPC handlers of the main process. Every handler checks who is calling (the sender frame must
// be our own renderer page) and validates its payload with the shared zod schemas, because the
// renderer is treated as untrusted input.
import { app, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS, describeImageRequestSchema } from '../shared/contract.ts';
import type { DescribeImageResult } from '../shared/contract.ts';
import { isTrustedRendererUrl } from './renderer-location.ts';

function assertTrustedSender(event: IpcMainInvokeEvent): void {
  const url = event.senderFrame?.url;
  if (url === undefined || !isTrustedRendererUrl(url)) {
    throw new Error('IPC call rejected: sender is not the Sightline renderer');
  }
}

export function registerIpcHandlers(): void {
  ipcMain.handle(IPC_CHANNELS.getVersion, (event): string => {
    assertTrustedSender(event);
    return app.getVersion();
  });

  ipcMain.handle(
    IPC_CHANNELS.describeImage,
    (event, payload: unknown): Promise<DescribeImageResult> => {
      assertTrustedSender(event);
      const request = describeImageRequestSchema.parse(payload);
      // Not wired yet: a later issue connects this to the captioning engine
      // (src-main/engine). Until then callers get an explicit error instead of a fake caption.
      return Promise.reject(
        new Error(`describeImage is not wired yet (asked for ${request.path})`),
      );
    },
  );
}
