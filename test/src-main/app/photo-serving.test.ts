import { describe, expect, it, vi } from 'vitest';
import { PhotoServing } from '../../../src-main/app/photo-serving.ts';
import type { AppEvent } from '../../../src-main/shared/contract.ts';

function fakeCore(answers: { libraryRoots: string[]; thumbnailDir: string }[]) {
  const queue = [...answers];
  return {
    servingFolders: vi.fn(() => {
      const next = queue.shift();
      return next === undefined ? Promise.reject(new Error('core down')) : Promise.resolve(next);
    }),
    photoFile: vi.fn(() => Promise.resolve({ path: '/t/1.jpg', contentType: 'image/jpeg' })),
  };
}

const first = { libraryRoots: ['/photos'], thumbnailDir: '/cache/thumbs' };
const second = { libraryRoots: ['/photos', '/more'], thumbnailDir: '/cache/thumbs' };

describe('PhotoServing', () => {
  it('serves nothing before the first answer, then the core’s folders', async () => {
    const core = fakeCore([first]);
    const serving = new PhotoServing(core, ['/x/opened.jpg']);
    expect(await serving.policy()).toMatchObject({ libraryRoots: [] });
    expect((await serving.policy()).thumbnailDir).toBeUndefined();
    serving.refresh();
    const policy = await serving.policy();
    expect(policy).toMatchObject({ libraryRoots: ['/photos'], thumbnailDir: '/cache/thumbs' });
    expect([...(policy.openedFiles ?? [])]).toEqual(['/x/opened.jpg']);
    await expect(policy.photoFile('thumbnail', 1)).resolves.toEqual({
      path: '/t/1.jpg',
      contentType: 'image/jpeg',
    });
    expect(core.photoFile).toHaveBeenCalledWith('thumbnail', 1);
  });

  it('asks again only when the roots change or the core is back', async () => {
    const core = fakeCore([first, second, first]);
    const serving = new PhotoServing(core, []);
    serving.refresh();
    const events: AppEvent[] = [
      { type: 'library-changed', reason: 'indexing', photoIds: null },
      { type: 'library-changed', reason: 'edit', photoIds: [1] },
      { type: 'service-state', state: 'restarting', detail: null },
    ];
    for (const event of events) serving.onEvent(event);
    expect(core.servingFolders).toHaveBeenCalledTimes(1);
    serving.onEvent({ type: 'library-changed', reason: 'roots', photoIds: null });
    expect((await serving.policy()).libraryRoots).toEqual(['/photos', '/more']);
    serving.onEvent({ type: 'service-state', state: 'running', detail: null });
    expect((await serving.policy()).libraryRoots).toEqual(['/photos']);
    expect(core.servingFolders).toHaveBeenCalledTimes(3);
  });

  it('keeps the last known folders while the core cannot answer', async () => {
    const core = fakeCore([first]);
    const serving = new PhotoServing(core, []);
    serving.refresh();
    await serving.policy();
    serving.refresh();
    expect((await serving.policy()).libraryRoots).toEqual(['/photos']);
  });
});
