import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import {
  registerAppApiHandlers,
  shellAppApi,
  windowEventSender,
  type EventTarget,
} from '../../../src-main/app/ipc.ts';
import { rendererIndexPath } from '../../../src-main/app/renderer-location.ts';
import type { IpcMainLike } from '../../../src-main/app/security.ts';
import {
  APP_METHODS,
  APP_METHOD_NAMES,
  AppError,
  type AppEvent,
  type AppMethodName,
  type AppRequestApi,
} from '../../../src-main/shared/contract.ts';
import { APP_EVENT_CHANNEL, IPC_CHANNELS } from '../../../src-main/shared/ipc-channels.ts';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;

const trusted = { senderFrame: { url: pathToFileURL(rendererIndexPath).href } };
const untrusted = { senderFrame: { url: 'https://example.com/' } };

/** Every method answers `answer-of-<method>` unless a test says otherwise. */
function fakeApi(): AppRequestApi & Record<AppMethodName, ReturnType<typeof vi.fn>> {
  return Object.fromEntries(
    APP_METHOD_NAMES.map((method) => [method, vi.fn(() => Promise.resolve(`answer-of-${method}`))]),
  ) as unknown as AppRequestApi & Record<AppMethodName, ReturnType<typeof vi.fn>>;
}

function register(api: AppRequestApi): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (channel: string, handler: Handler) => {
      expect(handlers.has(channel), channel).toBe(false);
      handlers.set(channel, handler);
    },
  } as unknown as IpcMainLike;
  registerAppApiHandlers(ipcMain, api);
  return handlers;
}

function handlerFor(handlers: Map<string, Handler>, method: AppMethodName): Handler {
  const handler = handlers.get(IPC_CHANNELS[method]);
  if (handler === undefined) throw new Error(`no handler for ${method}`);
  return handler;
}

describe('IPC channels', () => {
  it('name every AppApi request method exactly once, under the sightline:api: prefix', () => {
    expect(Object.keys(IPC_CHANNELS).sort()).toEqual([...APP_METHOD_NAMES].sort());
    const names = Object.values(IPC_CHANNELS);
    expect(new Set(names).size).toBe(names.length);
    for (const [method, channel] of Object.entries(IPC_CHANNELS)) {
      expect(channel).toBe(`sightline:api:${method}`);
    }
    expect(names).not.toContain(APP_EVENT_CHANNEL);
  });

  it('get a handler each, and nothing else is registered', () => {
    const handlers = register(fakeApi());
    expect([...handlers.keys()].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
  });
});

describe('registerAppApiHandlers', () => {
  it('forwards a validated request and wraps the answer', async () => {
    const api = fakeApi();
    const handlers = register(api);
    const answer = await handlerFor(handlers, 'addRoot')(trusted, { path: '/photos' });
    expect(answer).toEqual({ ok: true, value: 'answer-of-addRoot' });
    expect(api.addRoot).toHaveBeenCalledWith({ path: '/photos' });
  });

  it('calls methods without a request with no argument at all', async () => {
    const api = fakeApi();
    const handlers = register(api);
    for (const method of APP_METHOD_NAMES.filter((name) => APP_METHODS[name].request === null)) {
      await expect(handlerFor(handlers, method)(trusted)).resolves.toEqual({
        ok: true,
        value: `answer-of-${method}`,
      });
      expect(api[method].mock.calls, method).toEqual([[]]);
    }
  });

  it('answers malformed payloads with invalid-request, without calling the core', async () => {
    const api = fakeApi();
    const handlers = register(api);
    for (const [method, payload] of [
      ['addRoot', { path: '' }],
      ['addRoot', undefined],
      ['getPhoto', { photoId: -1 }],
      ['listPhotos', 'everything'],
      ['listRoots', {}],
      ['getVersion', null],
    ] as const) {
      const answer = await handlerFor(handlers, method)(trusted, payload);
      const label = `${method} ${JSON.stringify(payload)}`;
      expect(answer, label).toMatchObject({ ok: false, code: 'invalid-request' });
      expect((answer as { error: string }).error, label).toContain(IPC_CHANNELS[method]);
    }
    const twoArguments = await handlerFor(handlers, 'getPhoto')(trusted, { photoId: 1 }, 2);
    expect(twoArguments).toMatchObject({ ok: false, code: 'invalid-request' });
    for (const method of APP_METHOD_NAMES) expect(api[method]).not.toHaveBeenCalled();
  });

  it('rejects untrusted senders outright', async () => {
    const api = fakeApi();
    const handlers = register(api);
    await expect(handlerFor(handlers, 'listRoots')(untrusted)).rejects.toThrow(/not the Sightline/);
    await expect(
      handlerFor(handlers, 'addRoot')({ senderFrame: null }, { path: '/x' }),
    ).rejects.toThrow(/not the Sightline/);
    expect(api.listRoots).not.toHaveBeenCalled();
    expect(api.addRoot).not.toHaveBeenCalled();
  });

  it('turns core failures into envelopes that keep the AppError code', async () => {
    const api = fakeApi();
    api.getPhoto.mockRejectedValueOnce(new AppError('not-found', 'no photo 9'));
    api.listTags.mockRejectedValueOnce(new Error('database is locked'));
    api.listErrors.mockRejectedValueOnce('a bare string');
    const handlers = register(api);
    expect(await handlerFor(handlers, 'getPhoto')(trusted, { photoId: 9 })).toEqual({
      ok: false,
      error: 'no photo 9',
      code: 'not-found',
    });
    expect(await handlerFor(handlers, 'listTags')(trusted)).toEqual({
      ok: false,
      error: 'database is locked',
      code: 'internal',
    });
    expect(await handlerFor(handlers, 'listErrors')(trusted)).toEqual({
      ok: false,
      error: 'a bare string',
      code: 'internal',
    });
  });
});

describe('shellAppApi', () => {
  it('answers pickFolders from the shell, never the core', async () => {
    const core = fakeApi();
    const pickFolders = vi.fn(() => Promise.resolve({ supported: true, paths: ['/a', '/b'] }));
    const api = shellAppApi(core, { pickFolders, showItemInFolder: vi.fn() });
    await expect(api.pickFolders()).resolves.toEqual({ supported: true, paths: ['/a', '/b'] });
    expect(core.pickFolders).not.toHaveBeenCalled();
  });

  it('reveals the file the core names for the photo', async () => {
    const core = fakeApi();
    core.showInFolder.mockResolvedValueOnce({ path: '/photos/cat.jpg', revealed: false });
    const showItemInFolder = vi.fn();
    const api = shellAppApi(core, { pickFolders: vi.fn(), showItemInFolder });
    await expect(api.showInFolder({ photoId: 3 })).resolves.toEqual({
      path: '/photos/cat.jpg',
      revealed: true,
    });
    expect(core.showInFolder).toHaveBeenCalledWith({ photoId: 3 });
    expect(showItemInFolder).toHaveBeenCalledWith('/photos/cat.jpg');
  });

  it('reveals nothing when the core refuses', async () => {
    const core = fakeApi();
    core.showInFolder.mockRejectedValueOnce(new AppError('not-found', 'no photo 3'));
    const showItemInFolder = vi.fn();
    const api = shellAppApi(core, { pickFolders: vi.fn(), showItemInFolder });
    await expect(api.showInFolder({ photoId: 3 })).rejects.toMatchObject({ code: 'not-found' });
    expect(showItemInFolder).not.toHaveBeenCalled();
  });

  it('reveals a failed file only once the core has checked the library tracks it', async () => {
    const core = fakeApi();
    core.showFileInFolder.mockResolvedValueOnce({ path: '/photos/bad.jpg', revealed: false });
    core.showFileInFolder.mockRejectedValueOnce(new AppError('not-found', 'not tracked'));
    const showItemInFolder = vi.fn();
    const api = shellAppApi(core, { pickFolders: vi.fn(), showItemInFolder });
    await expect(api.showFileInFolder({ path: '/photos/bad.jpg' })).resolves.toEqual({
      path: '/photos/bad.jpg',
      revealed: true,
    });
    await expect(api.showFileInFolder({ path: '/etc/passwd' })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(showItemInFolder.mock.calls).toEqual([['/photos/bad.jpg']]);
  });

  it('leaves every other method to the core', async () => {
    const core = fakeApi();
    const api = shellAppApi(core, { pickFolders: vi.fn(), showItemInFolder: vi.fn() });
    await expect(api.search({ text: 'cat' })).resolves.toBe('answer-of-search');
    expect(core.search).toHaveBeenCalledWith({ text: 'cat' });
  });
});

describe('windowEventSender', () => {
  const event: AppEvent = { type: 'menu-command', command: 'focus-search' };

  it('sends events on the event channel to the current window, if it is alive', () => {
    const sent: unknown[][] = [];
    let destroyed = false;
    const window: EventTarget = {
      isDestroyed: () => destroyed,
      webContents: { send: (...args: unknown[]) => sent.push(args) },
    };
    let current: EventTarget | null = null;
    const send = windowEventSender(() => current);
    send(event);
    current = window;
    send(event);
    destroyed = true;
    send(event);
    expect(sent).toEqual([[APP_EVENT_CHANNEL, event]]);
  });
});
