// Native pickers for "Add folder" and "Open Image…". The dialog module and the window are
// parameters so tests can stand in for them.
import type { BrowserWindow, OpenDialogOptions, OpenDialogReturnValue } from 'electron';
import { IMAGE_EXTENSIONS } from '../library/media/photo-formats.ts';
import type { PickFoldersResult } from '../shared/contract.ts';

/** The part of Electron's `dialog` used here. */
export interface DialogLike {
  showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
}

async function showOpen(
  dialog: DialogLike,
  window: BrowserWindow | null,
  options: OpenDialogOptions,
): Promise<string[]> {
  // Modal to the window when there is one, so the dialog cannot get lost behind it.
  const result =
    window === null
      ? await dialog.showOpenDialog(options)
      : await dialog.showOpenDialog(window, options);
  return result.canceled ? [] : result.filePaths;
}

/** Folders to add to the library; none when the user cancels. */
export async function pickFolders(
  dialog: DialogLike,
  window: BrowserWindow | null,
): Promise<PickFoldersResult> {
  const paths = await showOpen(dialog, window, {
    title: 'Add folders to Sightline',
    buttonLabel: 'Add',
    properties: ['openDirectory', 'multiSelections', 'createDirectory'],
  });
  return { supported: true, paths };
}

/** Image files to describe ("Open Image…"); none when the user cancels. */
export function pickImageFiles(
  dialog: DialogLike,
  window: BrowserWindow | null,
): Promise<string[]> {
  return showOpen(dialog, window, {
    title: 'Open images',
    properties: ['openFile', 'multiSelections'],
    filters: [{ name: 'Images', extensions: [...IMAGE_EXTENSIONS] }],
  });
}
