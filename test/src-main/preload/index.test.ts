import { describe, expect, it, vi } from 'vitest';
import { APP_METHOD_NAMES } from '../../../src-main/shared/contract.ts';

const exposed = new Map<string, unknown>();
vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, value: unknown) => {
      exposed.set(key, value);
    },
  },
  ipcRenderer: {
    invoke: () => Promise.resolve({ ok: true, value: '1.2.3' }),
    on: () => undefined,
  },
}));

describe('preload entry', () => {
  it('exposes the whole AppApi as window.sightline over ipcRenderer', async () => {
    await import('../../../src-main/preload/index.ts');
    expect([...exposed.keys()]).toEqual(['sightline']);
    const api = exposed.get('sightline') as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...APP_METHOD_NAMES, 'subscribe'].sort());
    await expect((api['getVersion'] as () => Promise<string>)()).resolves.toBe('1.2.3');
  });
});
