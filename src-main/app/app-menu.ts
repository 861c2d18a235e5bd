// The application menu and its shortcuts, as a plain template: Menu.buildFromTemplate() turns it
// into a menu in main.ts, and tests walk it as data. Commands that change what the page shows
// are carried out by the renderer, so their clicks only report a MenuCommand.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../shared/contract.ts';

export interface AppMenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Reload and developer tools are for development builds only. */
  isDevelopment: boolean;
  onCommand: (command: MenuCommand) => void;
}

const separator: MenuItemConstructorOptions = { type: 'separator' };

export function buildAppMenuTemplate(options: AppMenuOptions): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin';
  const command = (
    label: string,
    menuCommand: MenuCommand,
    accelerator?: string,
  ): MenuItemConstructorOptions => ({
    label,
    ...(accelerator === undefined ? {} : { accelerator }),
    click: () => {
      options.onCommand(menuCommand);
    },
  });

  // macOS puts About/Hide/Quit in a menu named after the app; elsewhere Quit ends File.
  const appMenu: MenuItemConstructorOptions[] = isMac
    ? [
        {
          label: options.appName,
          submenu: [
            { role: 'about' },
            separator,
            { role: 'services' },
            separator,
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            separator,
            { role: 'quit' },
          ],
        },
      ]
    : [];

  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      command('Add Folder…', 'add-folder', 'CmdOrCtrl+O'),
      command('Open Image…', 'open-image', 'CmdOrCtrl+Shift+O'),
      separator,
      command('Start Indexing', 'start-indexing'),
      separator,
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };

  const editMenu: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
      separator,
      command('Find', 'focus-search', 'CmdOrCtrl+F'),
    ],
  };

  const developmentItems: MenuItemConstructorOptions[] = options.isDevelopment
    ? [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, separator]
    : [];
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      command('Library', 'show-library', 'CmdOrCtrl+1'),
      command('Indexing', 'show-indexing', 'CmdOrCtrl+2'),
      command('Models', 'show-models', 'CmdOrCtrl+3'),
      separator,
      command('Toggle Theme', 'toggle-theme', 'CmdOrCtrl+Shift+L'),
      separator,
      ...developmentItems,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  };

  const windowMenu: MenuItemConstructorOptions = {
    label: 'Window',
    submenu: isMac
      ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  };

  return [...appMenu, fileMenu, editMenu, viewMenu, windowMenu];
}
