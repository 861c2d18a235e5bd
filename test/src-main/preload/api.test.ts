import { describe, expect, it, vi } from 'vitest';
import {
  createPreloadApi,
  unwrapEnvelope,
  type IpcRendererLike,
} from '../../../src-main/preload/api.ts';
import {
  APP_METHODS,
  APP_METHOD_NAMES,
  AppError,
  type AppEvent,
} from '../../../src-main/shared/contract.ts';
import { APP_EVENT_CHANNEL, IPC_CHANNELS } from '../../../src-main/shared/ipc-channels.ts';

type EventHandler = (event: unknown, ...args: unknown[]) => void;

function fakeIpc(
  answer: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: 1 }),
): {
  ipc: IpcRendererLike;
  invoked: { channel: string; args: unknown[] }[];
  push: (event: AppEvent) => void;
  listenerCount: () => number;
} {
  const invoked: { channel: string; args: unknown[] }[] = [];
  const handlers: EventHandler[] = [];
  const ipc: IpcRendererLike = {
    invoke: (channel, ...args) => {
      invoked.push({ channel, args });
      return Promise.resolve().then(() => answer(channel, args));
    },
    on: (channel, listener) => {
      expect(channel).toBe(APP_EVENT_CHANNEL);
      handlers.push(listener);
    },
  };
  return {
    ipc,
    invoked,
    push: (event) => {
      for (const handler of handlers) handler({ sender: 'ipc' }, event);
    },
    listenerCount: () => handlers.length,
  };
}

describe('createPreloadApi', () => {
  it('has every AppApi method plus subscribe, and nothing else', () => {
    const api = createPreloadApi(fakeIpc().ipc);
    expect(Object.keys(api).sort()).toEqual([...APP_METHOD_NAMES, 'subscribe'].sort());
  });

  it('invokes each method on its own channel, with its request or with no argument', async () => {
    const { ipc, invoked } = fakeIpc();
    const api = createPreloadApi(ipc);
    const request = { marker: 'request' };
    for (const method of APP_METHOD_NAMES) {
      const run = api[method] as (request?: unknown) => Promise<unknown>;
      await expect(run(request), method).resolves.toBe(1);
      const last = invoked.at(-1)!;
      expect(last.channel).toBe(IPC_CHANNELS[method]);
      // Methods without a request send none: the main side validates it as `undefined`.
      expect(last.args, method).toEqual(APP_METHODS[method].request === null ? [] : [request]);
    }
  });

  it('rebuilds the AppError of a failed call', async () => {
    const { ipc } = fakeIpc(() => ({ ok: false, error: 'no photo 4', code: 'not-found' }));
    const failure = createPreloadApi(ipc).getPhoto({ photoId: 4 });
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({ code: 'not-found', message: 'no photo 4' });
  });

  it('turns a rejected invoke (refused sender) into an internal AppError', async () => {
    const { ipc } = fakeIpc(() => {
      throw new Error("Error invoking remote method 'x': rejected");
    });
    const failure = createPreloadApi(ipc).listRoots();
    await expect(failure).rejects.toMatchObject({ name: 'AppError', code: 'internal' });
    await expect(failure).rejects.toThrow(/rejected/);
  });

  it('fans events out from one IPC listener to every subscriber until they leave', () => {
    const fake = fakeIpc();
    const api = createPreloadApi(fake.ipc);
    const first: AppEvent[] = [];
    const second: AppEvent[] = [];
    const stopFirst = api.subscribe((event) => first.push(event));
    api.subscribe(() => {
      throw new Error('a broken listener must not starve the others');
    });
    api.subscribe((event) => second.push(event));
    const event: AppEvent = { type: 'menu-command', command: 'show-models' };
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    fake.push(event);
    stopFirst();
    fake.push(event);
    consoleError.mockRestore();
    expect(first).toEqual([event]);
    expect(second).toEqual([event, event]);
    expect(fake.listenerCount()).toBe(1);
  });
});

describe('unwrapEnvelope', () => {
  it('returns values, including falsy ones', () => {
    expect(unwrapEnvelope({ ok: true, value: 0 })).toBe(0);
    expect(unwrapEnvelope({ ok: true, value: null })).toBeNull();
  });

  it('refuses answers it cannot read, and unknown codes become internal', () => {
    for (const malformed of [undefined, 'text', { ok: true }, { ok: false }, { value: 1 }]) {
      expect(() => unwrapEnvelope(malformed), JSON.stringify(malformed)).toThrow(AppError);
    }
    expect(() => unwrapEnvelope({ ok: false, error: 'x', code: 'teapot' })).toThrow(
      expect.objectContaining({ code: 'internal', message: 'x' }),
    );
  });
});
