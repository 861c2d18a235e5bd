// Electron main process entry. Deliberately thin: it wires Electron's objects to the rules in
// security.ts, photo-protocol*.ts, open-files.ts and window-state.ts, which are tested in Node.
import path from 'node:path';
import { app, BrowserWindow, protocol, screen, session, shell } from 'electron';
import { registerIpcHandlers } from './ipc.ts';
import { OpenFileRequests } from './open-files.ts';
import { handlePhotoProtocol, registerPhotoSchemePrivileges } from './photo-protocol-handler.ts';
import type { PhotoAccessPolicy } from './photo-protocol.ts';
import { preloadPath, rendererDevServerUrl, rendererIndexPath } from './renderer-location.ts';
import {
  applyContentSecurityPolicy,
  contentSecurityPolicy,
  denyAllPermissions,
  lockDownWebContents,
} from './security.ts';
import {
  DEFAULT_WINDOW_SIZE,
  WINDOW_STATE_FILE,
  loadWindowState,
  trackWindowState,
  type Rectangle,
} from './window-state.ts';

let mainWindow: BrowserWindow | null = null;
const openFiles = new OpenFileRequests();

// Until the library service is wired in, no library photo is served; files the user opened
// ("Open with") already are. The service replaces libraryRoots/thumbnailDir/lookupPhoto.
const photoPolicy = (): PhotoAccessPolicy => ({
  libraryRoots: [],
  openedFiles: openFiles.openedFiles,
  lookupPhoto: () => null,
});

function displayWorkAreas(): Rectangle[] {
  // Primary first: window-state centres a window whose monitor is gone on the first area.
  const primary = screen.getPrimaryDisplay();
  return [primary, ...screen.getAllDisplays()].map((display) => display.workArea);
}

function createMainWindow(): BrowserWindow {
  const stateFile = path.join(app.getPath('userData'), WINDOW_STATE_FILE);
  const state = loadWindowState(stateFile, displayWorkAreas());
  const window = new BrowserWindow({
    ...state.bounds,
    minWidth: DEFAULT_WINDOW_SIZE.minWidth,
    minHeight: DEFAULT_WINDOW_SIZE.minHeight,
    show: false,
    title: 'Sightline',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  if (state.isMaximized) window.maximize();
  trackWindowState(window, stateFile, (error) => {
    console.warn('sightline: could not save the window state:', error);
  });
  window.once('ready-to-show', () => {
    window.show();
  });
  window.on('closed', () => {
    mainWindow = null;
  });

  const devUrl = rendererDevServerUrl();
  if (devUrl !== undefined) {
    void window.loadURL(devUrl);
  } else {
    void window.loadFile(rendererIndexPath);
  }
  return window;
}

function focusMainWindow(): void {
  if (mainWindow === null) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

function applySecurityRules(): void {
  denyAllPermissions(session.defaultSession);
  const allowInlineStyles = rendererDevServerUrl() !== undefined;
  applyContentSecurityPolicy(session.defaultSession, contentSecurityPolicy({ allowInlineStyles }));
  app.on('web-contents-created', (_event, contents) => {
    lockDownWebContents(contents, (url) => shell.openExternal(url));
  });
}

// Privileged schemes must be declared before `ready`.
registerPhotoSchemePrivileges(protocol);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  openFiles.addFromArgv(process.argv, process.cwd());
  app.on('second-instance', (_event, argv, workingDirectory) => {
    openFiles.addFromArgv(argv, workingDirectory);
    focusMainWindow();
  });
  // macOS delivers "Open with" through this event, possibly before `ready`.
  app.on('open-file', (event, filePath) => {
    event.preventDefault();
    openFiles.add([filePath]);
    focusMainWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  void app.whenReady().then(() => {
    applySecurityRules();
    handlePhotoProtocol(protocol, photoPolicy);
    registerIpcHandlers();
    mainWindow = createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
    });
  });
}
