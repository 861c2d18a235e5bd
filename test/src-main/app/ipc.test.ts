import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNELS } from '../../../src-main/shared/contract.ts';
import { rendererIndexPath } from '../../../src-main/app/renderer-location.ts';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;

// Electron cannot run under vitest: stand in for the two objects the handlers touch.
const handlers = new Map<string, Handler>();
vi.mock('electron', () => ({
  app: { getVersion: () => '9.8.7' },
  ipcMain: {
    handle: (channel: string, handler: Handler) => {
      handlers.set(channel, handler);
    },
  },
}));

const trusted = { senderFrame: { url: pathToFileURL(rendererIndexPath).href } };
const untrusted = { senderFrame: { url: 'https://example.com/' } };

function handlerFor(channel: string): Handler {
  const handler = handlers.get(channel);
  if (handler === undefined) throw new Error(`no handler registered for ${channel}`);
  return handler;
}

beforeAll(async () => {
  const { registerIpcHandlers } = await import('../../../src-main/app/ipc.ts');
  registerIpcHandlers();
});

describe('getVersion handler', () => {
  it('answers the app version to our renderer', () => {
    expect(handlerFor(IPC_CHANNELS.getVersion)(trusted)).toBe('9.8.7');
  });

  it('refuses foreign or vanished frames', () => {
    expect(() => handlerFor(IPC_CHANNELS.getVersion)(untrusted)).toThrow(/not the Sightline/);
    expect(() => handlerFor(IPC_CHANNELS.getVersion)({ senderFrame: null })).toThrow(
      /not the Sightline/,
    );
  });
});

describe('describeImage handler', () => {
  it('validates the payload before anything else', () => {
    const describeImage = handlerFor(IPC_CHANNELS.describeImage);
    expect(() => describeImage(trusted, { path: '' })).toThrow(/path must not be empty/);
    expect(() => describeImage(trusted, { path: 42 })).toThrow();
    expect(() => describeImage(trusted, 'photo.jpg')).toThrow();
  });

  it('refuses foreign frames even with a valid payload', () => {
    expect(() => handlerFor(IPC_CHANNELS.describeImage)(untrusted, { path: 'a.jpg' })).toThrow(
      /not the Sightline/,
    );
  });

  it('says plainly that captioning is not wired yet', async () => {
    const answer = handlerFor(IPC_CHANNELS.describeImage)(trusted, { path: 'a.jpg' });
    await expect(answer).rejects.toThrow(/not wired yet/);
  });
});
