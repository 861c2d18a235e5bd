// Electron main process entry. Deliberately thin: it wires Electron's objects to the rules in
// security.ts, photo-protocol*.ts, open-files.ts, window-state.ts, service-host.ts, ipc.ts,
// app-menu.ts and taskbar-progress.ts, which are tested in Node. The core (AppService) runs in its
// own utility process; everything here talks to it through `core`, which survives its restarts.
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  screen,
  session,
  shell,
  utilityProcess,
} from 'electron';
import type { AppEvent, MenuCommand } from '../shared/contract.ts';
import { connectOverPort } from '../transport/port-rpc.ts';
import { SERVICE_OPTIONS_ENV, type ServiceProcessOptions } from '../transport/service-options.ts';
import { buildAppMenuTemplate } from './app-menu.ts';
import { developmentSqliteBinding } from './electron-native-binding.ts';
import { registerAppApiHandlers, shellAppApi, windowEventSender } from './ipc.ts';
import { pickFolders, pickImageFiles } from './native-dialogs.ts';
import { OpenFileRequests } from './open-files.ts';
import { handlePhotoProtocol, registerPhotoSchemePrivileges } from './photo-protocol-handler.ts';
import { PhotoServing } from './photo-serving.ts';
import {
  preloadPath,
  rendererDevServerUrl,
  rendererIndexPath,
  serviceEntryPath,
} from './renderer-location.ts';
import {
  applyContentSecurityPolicy,
  contentSecurityPolicy,
  denyAllPermissions,
  lockDownWebContents,
} from './security.ts';
import { ServiceSupervisor, utilityProcessChild, type ServiceChild } from './service-host.ts';
import { createTaskbarProgressUpdater } from './taskbar-progress.ts';
import {
  DEFAULT_WINDOW_SIZE,
  WINDOW_STATE_FILE,
  loadWindowState,
  trackWindowState,
  type Rectangle,
} from './window-state.ts';

let mainWindow: BrowserWindow | null = null;
const openFiles = new OpenFileRequests();

function liveWindow(): BrowserWindow | null {
  return mainWindow !== null && !mainWindow.isDestroyed() ? mainWindow : null;
}

function serviceOptions(): ServiceProcessOptions {
  // The packaged app's better-sqlite3 was rebuilt for Electron by electron-builder; a checkout's
  // node_modules holds the Node build, so `npm start` points the core at the Electron one.
  const sqliteNativeBinding = app.isPackaged
    ? undefined
    : developmentSqliteBinding(app.getAppPath(), process.versions.electron);
  return {
    version: app.getVersion(),
    ...(sqliteNativeBinding === undefined ? {} : { sqliteNativeBinding }),
  };
}

function forkService(): ServiceChild {
  const child = utilityProcess.fork(serviceEntryPath, [], {
    serviceName: 'Sightline core',
    env: { ...process.env, [SERVICE_OPTIONS_ENV]: JSON.stringify(serviceOptions()) },
  });
  return utilityProcessChild(child);
}

const supervisor = new ServiceSupervisor({ fork: forkService, connect: connectOverPort });
const core = supervisor.client;
const photoServing = new PhotoServing(core, openFiles.openedFiles);
const sendToWindow = windowEventSender(liveWindow);
const updateTaskbar = createTaskbarProgressUpdater(() => ({
  window: liveWindow(),
  dock: app.dock,
}));

/** A restarted core has forgotten the files opened so far; their `opened/<n>` links must keep working. */
function reopenFilesAfterRestart(event: AppEvent): void {
  if (event.type !== 'service-state' || event.state !== 'running') return;
  if (openFiles.openedFiles.size === 0) return;
  // Same paths in the same order give the same numbers; the renderer already showed them.
  void core.openFiles([...openFiles.openedFiles], { announce: false }).catch((error: unknown) => {
    console.error('sightline: could not restore the opened files:', error);
  });
}

function onAppEvent(event: AppEvent): void {
  reopenFilesAfterRestart(event);
  photoServing.onEvent(event);
  updateTaskbar(event);
  sendToWindow(event);
}

async function openImages(): Promise<void> {
  const paths = await pickImageFiles(dialog, liveWindow());
  openFiles.add(paths);
}

function onMenuCommand(command: MenuCommand): void {
  // "Open Image…" is the shell's to carry out; the renderer then gets `files-opened`.
  if (command === 'open-image') {
    void openImages().catch((error: unknown) => {
      console.error('sightline: could not open images:', error);
    });
  }
  onAppEvent({ type: 'menu-command', command });
}

function installMenu(): void {
  const template = buildAppMenuTemplate({
    platform: process.platform,
    appName: app.name,
    isDevelopment: !app.isPackaged,
    onCommand: onMenuCommand,
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function startCore(): void {
  supervisor.subscribe(onAppEvent);
  supervisor.start();
  photoServing.refresh();
  // Files opened before the core was up (argv, macOS open-file) arrive here as one batch; the
  // core announces them with `files-opened`, and the renderer also lists them when it loads.
  openFiles.listen((paths) => {
    void core.openFiles(paths).catch((error: unknown) => {
      console.error('sightline: could not open files:', error);
    });
  });
}

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
  // The core closes its database and finishes the batch in flight before the app goes.
  let coreStopped = false;
  app.on('before-quit', (event) => {
    if (coreStopped) return;
    event.preventDefault();
    void supervisor.stop().finally(() => {
      coreStopped = true;
      app.quit();
    });
  });
  void app.whenReady().then(() => {
    applySecurityRules();
    startCore();
    handlePhotoProtocol(protocol, () => photoServing.policy());
    registerAppApiHandlers(
      ipcMain,
      shellAppApi(core, {
        pickFolders: () => pickFolders(dialog, liveWindow()),
        showItemInFolder: (filePath) => {
          shell.showItemInFolder(filePath);
        },
      }),
    );
    installMenu();
    mainWindow = createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
    });
  });
}
