import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../../src-main/service/event-hub.ts';
import type { ServiceHostApi } from '../../../src-main/service/service-host-api.ts';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import { AppError, APP_ERROR_CODES } from '../../../src-main/shared/app-error.ts';
import { APP_METHOD_NAMES, type LibraryRoot } from '../../../src-main/shared/contract.ts';
import type { MessagePortLike } from '../../../src-main/transport/message-port.ts';
import {
  connectOverPort,
  serveOverPort,
  type ServiceClient,
} from '../../../src-main/transport/port-rpc.ts';

/** A worker_threads port as a MessagePortLike: structured clone, like Electron's ports. */
function adapt(port: MessagePort): MessagePortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage(listener) {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
  };
}

type FakeService = ServiceHostApi & { emit(event: AppEvent): void };

/** Every method rejects unless overridden; events go out through `emit`. */
function fakeService(overrides: Partial<ServiceHostApi>): FakeService {
  const hub = new EventHub();
  const notFaked = (): Promise<never> => Promise.reject(new AppError('unavailable', 'not faked'));
  const base = Object.fromEntries(
    [...APP_METHOD_NAMES, 'photoFile', 'openFiles', 'servingFolders', 'close'].map((name) => [
      name,
      notFaked,
    ]),
  ) as unknown as ServiceHostApi; // every method present; the ones a test uses are overridden
  return {
    ...base,
    ...overrides,
    subscribe: (listener) => hub.subscribe(listener),
    emit: (event) => hub.emit(event),
  };
}

const ROOT: LibraryRoot = {
  rootId: 3,
  path: '/photos',
  files: 2,
  addedAt: 1_700_000_000,
};

const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
});

interface Pair {
  client: ServiceClient;
  stop: () => void;
  /** Raw ends, to post messages the client or server would never send. */
  clientEnd: MessagePort;
  serverEnd: MessagePort;
}

function connect(service: ServiceHostApi): Pair {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const stop = serveOverPort(adapt(port2), service);
  return { client: connectOverPort(adapt(port1)), stop, clientEnd: port1, serverEnd: port2 };
}

describe('service over a message port', () => {
  it('round-trips every kind of answer: strings, objects, arrays, null, nothing', async () => {
    const photoFile = vi.fn((kind: string, photoId: number) =>
      Promise.resolve(
        photoId === 7 ? { path: `/t/${kind}/7.jpg`, contentType: 'image/jpeg' } : null,
      ),
    );
    const close = vi.fn(() => Promise.resolve());
    const { client } = connect(
      fakeService({
        getVersion: () => Promise.resolve('1.2.3'),
        listRoots: () => Promise.resolve([ROOT]),
        removeRoot: (request) => Promise.resolve({ removed: request.rootId === ROOT.rootId }),
        photoFile,
        openFiles: (paths) =>
          Promise.resolve(paths.map((path, n) => ({ path, url: `x://opened/${n + 1}` }))),
        servingFolders: () => Promise.resolve({ libraryRoots: ['/photos'], thumbnailDir: '/t' }),
        close,
      }),
    );
    expect(await client.getVersion()).toBe('1.2.3');
    expect(await client.listRoots()).toEqual([ROOT]);
    expect(await client.removeRoot({ rootId: 3 })).toEqual({ removed: true });
    expect(await client.photoFile('thumbnail', 7)).toEqual({
      path: '/t/thumbnail/7.jpg',
      contentType: 'image/jpeg',
    });
    expect(await client.photoFile('original', 8)).toBeNull();
    expect(photoFile).toHaveBeenLastCalledWith('original', 8);
    expect(await client.openFiles(['/a.jpg', '/b.png'])).toEqual([
      { path: '/a.jpg', url: 'x://opened/1' },
      { path: '/b.png', url: 'x://opened/2' },
    ]);
    expect(await client.servingFolders()).toEqual({
      libraryRoots: ['/photos'],
      thumbnailDir: '/t',
    });
    await expect(client.close()).resolves.toBeUndefined();
    expect(close).toHaveBeenCalledOnce();
  });

  it('answers concurrent calls by id, whatever order they finish in', async () => {
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const { client } = connect(
      fakeService({
        getPhoto: async ({ photoId }) => {
          if (photoId === 1) await slow;
          throw new AppError('not-found', `photo ${photoId}`);
        },
      }),
    );
    const first = client.getPhoto({ photoId: 1 });
    const second = client.getPhoto({ photoId: 2 });
    await expect(second).rejects.toThrow('photo 2');
    releaseSlow();
    await expect(first).rejects.toThrow('photo 1');
  });

  it('keeps every AppError code and message; other errors arrive as internal', async () => {
    for (const code of APP_ERROR_CODES) {
      const { client } = connect(
        fakeService({ listTags: () => Promise.reject(new AppError(code, `failed with ${code}`)) }),
      );
      const error: unknown = await client.listTags().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code, message: `failed with ${code}` });
    }
    const { client } = connect(fakeService({ listTags: () => Promise.reject(new Error('boom')) }));
    await expect(client.listTags()).rejects.toMatchObject({ code: 'internal', message: 'boom' });
  });

  it('answers a call whose method throws synchronously', async () => {
    const { client } = connect(
      fakeService({
        listErrors: () => {
          throw new AppError('conflict', 'thrown at once');
        },
      }),
    );
    await expect(client.listErrors()).rejects.toMatchObject({
      code: 'conflict',
      message: 'thrown at once',
    });
  });

  it('validates requests again on the service side, for app and host-only methods', async () => {
    const getPhoto = vi.fn(() => Promise.reject(new Error('must not be reached')));
    const openFiles = vi.fn(() => Promise.resolve([]));
    const { client } = connect(fakeService({ getPhoto, openFiles }));
    await expect(client.getPhoto({ photoId: -1 })).rejects.toMatchObject({
      code: 'invalid-request',
    });
    await expect(client.openFiles([42] as unknown as string[])).rejects.toMatchObject({
      code: 'invalid-request',
    });
    await expect(client.photoFile('secret' as unknown as 'thumbnail', 1)).rejects.toMatchObject({
      code: 'invalid-request',
    });
    expect(getPhoto).not.toHaveBeenCalled();
    expect(openFiles).not.toHaveBeenCalled();
  });

  it('rejects an answer of the wrong shape instead of passing it on', async () => {
    const { client } = connect(
      fakeService({ getVersion: () => Promise.resolve(42 as unknown as string) }),
    );
    await expect(client.getVersion()).rejects.toMatchObject({ code: 'internal' });
  });

  it('answers unknown methods with not-found and ignores messages of other shapes', async () => {
    const { clientEnd, serverEnd } = connect(
      fakeService({ getVersion: () => Promise.resolve('v') }),
    );
    const seenByServer: unknown[] = [];
    serverEnd.on('message', (m: unknown) => seenByServer.push(m));
    const replies: unknown[] = [];
    const nextReply = (): Promise<unknown> =>
      new Promise((resolve) => clientEnd.once('message', resolve));
    clientEnd.on('message', (m: unknown) => replies.push(m));

    for (const junk of [null, 'call', { kind: 'call', id: 'x' }, { kind: 'call', id: 1 }, 5]) {
      clientEnd.postMessage(junk);
    }
    let reply = nextReply();
    clientEnd.postMessage({ kind: 'call', id: 10, method: 'nope', args: [] });
    expect(await reply).toMatchObject({ kind: 'error', id: 10, code: 'not-found' });
    reply = nextReply();
    clientEnd.postMessage({ kind: 'call', id: 11, method: 'getVersion', args: [] });
    expect(await reply).toEqual({ kind: 'result', id: 11, value: 'v' });
    // The port is ordered: any answer to the junk would have come before these two.
    expect(seenByServer).toHaveLength(7);
    expect(replies).toHaveLength(2);
  });

  it('ignores junk and answers for calls it never made on the client side', async () => {
    const { client, serverEnd } = connect(fakeService({ getVersion: () => Promise.resolve('v') }));
    const events: AppEvent[] = [];
    client.subscribe((e) => events.push(e));
    serverEnd.postMessage({ kind: 'result', id: 999, value: 'stray' });
    serverEnd.postMessage({ kind: 'event', event: { type: 'no-such-event' } });
    serverEnd.postMessage({ kind: 'error', id: 0, error: 'x', code: 'not-a-code' });
    serverEnd.postMessage(undefined);
    // Call 0 is this one; the malformed error for id 0 above must not have settled it.
    expect(await client.getVersion()).toBe('v');
    expect(events).toEqual([]);
  });

  it('forwards events to every subscriber until it unsubscribes', async () => {
    const service = fakeService({ getVersion: () => Promise.resolve('v') });
    const { client } = connect(service);
    const first: AppEvent[] = [];
    const second: AppEvent[] = [];
    const stopFirst = client.subscribe((e) => first.push(e));
    client.subscribe((e) => second.push(e));
    const changed: AppEvent = { type: 'library-changed', reason: 'edit', photoIds: [4] };
    service.emit(changed);
    // Events and answers share the ordered port: after this answer the event has arrived.
    await client.getVersion();
    stopFirst();
    const token: AppEvent = { type: 'answer-token', requestId: 'r1', text: 'a dog' };
    service.emit(token);
    await client.getVersion();
    expect(first).toEqual([changed]);
    expect(second).toEqual([changed, token]);
  });

  it('stops answering and forwarding once the server is stopped', async () => {
    const service = fakeService({ getVersion: () => Promise.resolve('v') });
    const { client, stop, clientEnd, serverEnd } = connect(service);
    expect(await client.getVersion()).toBe('v');
    stop();
    const reachingClient: unknown[] = [];
    clientEnd.on('message', (m: unknown) => reachingClient.push(m));
    const callArrived = new Promise((resolve) => serverEnd.once('message', resolve));
    const unanswered = client.getVersion();
    service.emit({ type: 'library-changed', reason: 'roots', photoIds: null });
    expect(await callArrived).toMatchObject({ kind: 'call', method: 'getVersion' });
    // A marker sent after the call was seen: the port is ordered, so an answer would precede it.
    const markerArrived = new Promise((resolve) => clientEnd.once('message', resolve));
    serverEnd.postMessage('marker');
    await markerArrived;
    expect(reachingClient).toEqual(['marker']);
    client.dispose('done');
    await expect(unanswered).rejects.toMatchObject({ code: 'internal', message: 'done' });
  });

  it('dispose rejects calls in flight and every later call with the reason', async () => {
    const { client } = connect(fakeService({ listFolders: () => new Promise(() => undefined) }));
    const inFlight = client.listFolders();
    client.dispose('service process exited');
    const error: unknown = await inFlight.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'internal', message: 'service process exited' });
    await expect(client.getVersion()).rejects.toMatchObject({
      code: 'internal',
      message: 'service process exited',
    });
  });
});
