import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import type { AppApi } from '../../../src-main/shared/contract.ts';
import { createHttpAppApi } from '../../../src-main/transport/http-app-api.ts';
import {
  startLoopbackServer,
  type LoopbackServer,
} from '../../../src-main/transport/loopback-server.ts';
import {
  createServiceKit,
  distinctContents,
  filesUnder,
  isAnswerEnd,
  isIndexingFinished,
  nextEvent,
  tokensOf,
  type ServiceKit,
} from '../service/service-test-kit.ts';

describe('AppApi over the loopback HTTP transport', () => {
  let kit: ServiceKit;
  let server: LoopbackServer;
  let api: AppApi;
  const events: AppEvent[] = [];
  let unsubscribe: () => void;

  beforeAll(async () => {
    kit = createServiceKit(['library/pets', 'bad']);
    server = await startLoopbackServer(kit.service);
    kit.service.setPhotoUrlPrefix(`${server.url}/photo/`);
    api = createHttpAppApi(server.url);
    unsubscribe = api.subscribe((event) => events.push(event));
  }, 300_000);
  afterAll(async () => {
    unsubscribe();
    await server.close();
    await kit.close();
  });

  it('runs the app flow through HTTP: index, browse, search, ask, edit', async () => {
    expect(await api.getVersion()).toBe('1.2.3-test');
    await api.addRoot({ path: kit.photos });
    const finished = nextEvent(api, isIndexingFinished);
    await api.startIndexing({});
    await finished;
    const good = filesUnder(join(kit.photos, 'library'));
    const bad = filesUnder(join(kit.photos, 'bad'));
    expect(await api.getIndexingStatus()).toMatchObject({
      state: 'idle',
      photos: distinctContents(good),
      files: good.length + bad.length,
      errors: bad.length,
      pending: 0,
    });
    expect(
      events.some((e) => e.type === 'indexing-progress' && e.progress?.phase === 'indexing'),
    ).toBe(true);
    expect((await api.listErrors()).map((e) => e.path).sort()).toEqual(bad);

    const page = await api.listPhotos({ offset: 0, limit: 2 });
    expect(page.photos).toHaveLength(2);
    const photo = page.photos[0]!;
    expect(photo.thumbnailUrl).toBe(`${server.url}/photo/thumbnail/${photo.photoId}`);
    const thumbnail = await fetch(photo.thumbnailUrl);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    const details = await api.getPhoto({ photoId: photo.photoId });
    const original = await fetch(details.originalUrl);
    expect(original.status).toBe(200);
    expect(Buffer.from(await original.arrayBuffer())).toEqual(readFileSync(details.paths[0]!));

    const hits = await api.search({ text: 'a cat', limit: 2 });
    expect(hits.length).toBe(2);

    const end = nextEvent(api, isAnswerEnd);
    const { requestId } = await api.ask({
      photoId: photo.photoId,
      question: 'what is it?',
      history: [],
    });
    const done = await end;
    expect(done.type).toBe('answer-done');
    if (done.type === 'answer-done') expect(tokensOf(events, requestId).join('')).toBe(done.answer);

    const edited = await api.updateCaption({ photoId: photo.photoId, caption: 'my cat' });
    expect(edited.caption).toMatchObject({ text: 'my cat', source: 'user' });
    expect((await api.listPhotos({ offset: 0, limit: 10 })).photos).toContainEqual(
      expect.objectContaining({ photoId: photo.photoId, caption: 'my cat' }),
    );
  });

  it('rejects malformed payloads and unknown methods with a JSON error', async () => {
    const post = (method: string, body: string): Promise<Response> =>
      fetch(`${server.url}/api/${method}`, { method: 'POST', body });
    const invalid = await post('listPhotos', JSON.stringify({ offset: -1, limit: 10 }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'invalid-request', error: /offset/ });
    expect((await post('getPhoto', 'not json')).status).toBe(400);
    expect((await post('__proto__', '{}')).status).toBe(404);
    expect((await post('constructor', '{}')).status).toBe(404);
    const missing = await post('getPhoto', JSON.stringify({ photoId: 999_999 }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not-found' });
    expect((await fetch(`${server.url}/api/getVersion`)).status).toBe(405);
    // The client surfaces the same errors as AppError.
    await expect(api.getPhoto({ photoId: 999_999 })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('serves photo files by id only: unknown ids and paths are refused', async () => {
    const status = async (path: string): Promise<number> => (await rawGet(path)).status;
    expect(await status('/photo/thumbnail/999999')).toBe(404);
    expect(await status('/photo/original/999999')).toBe(404);
    expect(await status('/photo/original/0')).toBe(404);
    expect(await status('/photo/original/abc')).toBe(404);
    expect(await status('/photo/original/1/../../../etc/passwd')).toBe(404);
    expect(await status('/photo/original/..%2F..%2Fetc%2Fpasswd')).toBe(404);
    expect(await status(`/photo/original?path=${encodeURIComponent('/etc/passwd')}`)).toBe(404);
    expect(await status(`/photo/${encodeURIComponent(join(kit.photos, 'library'))}`)).toBe(404);
    const known = (await api.listPhotos({ offset: 0, limit: 1 })).photos[0]!.photoId;
    expect(await status(`/photo/original/${known}`)).toBe(200);
    expect(await status(`/photo/original/${known}?path=/etc/passwd`)).toBe(200);
    expect(await status(`/photo/original/${known}/x`)).toBe(404);
  });

  it('refuses requests addressed to a non-loopback host name', async () => {
    expect((await rawGet('/api/events', 'evil.example:80')).status).toBe(403);
  });

  /** GET with the path sent verbatim (fetch would normalise `..`) and an optional Host header. */
  function rawGet(path: string, host?: string): Promise<{ status: number }> {
    const url = new URL(server.url);
    return new Promise((resolveGet, rejectGet) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: 'GET',
          ...(host ? { headers: { host } } : {}),
        },
        (res) => {
          res.resume();
          resolveGet({ status: res.statusCode ?? 0 });
        },
      );
      req.on('error', rejectGet);
      req.end();
    });
  }
});
