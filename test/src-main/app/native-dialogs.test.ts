import type { BrowserWindow, OpenDialogOptions, OpenDialogReturnValue } from 'electron';
import { describe, expect, it } from 'vitest';
import {
  pickFolders,
  pickImageFiles,
  type DialogLike,
} from '../../../src-main/app/native-dialogs.ts';
import { hasImageExtension } from '../../../src-main/app/open-files.ts';

function fakeDialog(answer: OpenDialogReturnValue): {
  dialog: DialogLike;
  calls: { window: unknown; options: OpenDialogOptions }[];
} {
  const calls: { window: unknown; options: OpenDialogOptions }[] = [];
  const showOpenDialog = (...args: unknown[]): Promise<OpenDialogReturnValue> => {
    const options = args.at(-1) as OpenDialogOptions;
    calls.push({ window: args.length === 2 ? args[0] : null, options });
    return Promise.resolve(answer);
  };
  return { dialog: { showOpenDialog }, calls };
}

const window = { id: 1 } as unknown as BrowserWindow;

describe('pickFolders', () => {
  it('asks for several folders, modal to the window, and returns them', async () => {
    const { dialog, calls } = fakeDialog({ canceled: false, filePaths: ['/a', '/b'] });
    await expect(pickFolders(dialog, window)).resolves.toEqual({
      supported: true,
      paths: ['/a', '/b'],
    });
    expect(calls[0]!.window).toBe(window);
    expect(calls[0]!.options.properties).toEqual(
      expect.arrayContaining(['openDirectory', 'multiSelections']),
    );
    expect(calls[0]!.options.properties).not.toContain('openFile');
  });

  it('returns no paths when cancelled, whatever the dialog left in filePaths', async () => {
    const { dialog, calls } = fakeDialog({ canceled: true, filePaths: ['/a'] });
    await expect(pickFolders(dialog, null)).resolves.toEqual({ supported: true, paths: [] });
    expect(calls[0]!.window).toBeNull();
  });
});

describe('pickImageFiles', () => {
  it('asks for image files only, each extension one the app opens', async () => {
    const { dialog, calls } = fakeDialog({ canceled: false, filePaths: ['/x/cat.jpg'] });
    await expect(pickImageFiles(dialog, window)).resolves.toEqual(['/x/cat.jpg']);
    const options = calls[0]!.options;
    expect(options.properties).toEqual(expect.arrayContaining(['openFile', 'multiSelections']));
    const extensions = options.filters?.flatMap((filter) => filter.extensions) ?? [];
    expect(extensions).toContain('jpg');
    for (const extension of extensions) expect(hasImageExtension(`a.${extension}`)).toBe(true);
  });
});
