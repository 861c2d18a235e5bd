import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibraryDatabase } from '../../../src-main/library/db/database.ts';
import type { AppEvent } from '../../../src-main/shared/app-events.ts';
import type { IndexingStatus } from '../../../src-main/shared/app-schemas.ts';
import { APP_METHODS, AppError } from '../../../src-main/shared/contract.ts';
import {
  PHOTOS_FIXTURE,
  createServiceKit,
  distinctContents,
  filesUnder,
  isAnswerEnd,
  isIndexingFinished,
  nextEvent,
  tokensOf,
  type ServiceKit,
} from './service-test-kit.ts';

describe('AppService end to end (tiny BLIP-2, test photos)', () => {
  let kit: ServiceKit;
  const events: AppEvent[] = [];
  let status: IndexingStatus;
  let goodFiles: string[];
  let badFiles: string[];

  beforeAll(async () => {
    kit = createServiceKit(['library', 'bad']);
    kit.service.subscribe((event) => events.push(event));
    goodFiles = filesUnder(join(kit.photos, 'library'));
    badFiles = filesUnder(join(kit.photos, 'bad'));
    const root = await kit.service.addRoot({ path: kit.photos });
    expect(root.path).toBe(kit.photos);
    const finished = nextEvent(kit.service, isIndexingFinished);
    const started = await kit.service.startIndexing({});
    expect(['starting', 'running']).toContain(started.state);
    await finished;
    status = await kit.service.getIndexingStatus();
  }, 300_000);
  afterAll(async () => kit.close());

  it('reports the version and the models it uses', async () => {
    expect(await kit.service.getVersion()).toBe('1.2.3-test');
    const models = await kit.service.getModelStatus();
    expect(APP_METHODS.getModelStatus.response.parse(models)).toEqual(models);
    expect(models.caption).toMatchObject({ dir: kit.models.opt, ready: true, loaded: true });
    // Indexing used both models: their graphs ran on the CPU, nothing fell back.
    for (const role of [models.caption, models.search]) {
      expect(role).toMatchObject({ providers: ['cpu'], providerNote: null });
      expect(role.weightBytes).toBeGreaterThan(0);
    }
    expect(models.search).toMatchObject({ dir: kit.models.itm, ready: true });
    // The private models folder is empty: every catalog model is missing.
    expect(models.models.length).toBeGreaterThan(0);
    expect(models.models.every((m) => m.state === 'missing' && m.convertedBytes === 0)).toBe(true);
  });

  it('indexes the folder: progress events, then counts that match the files', async () => {
    const progress = events.flatMap((e) => (e.type === 'indexing-progress' ? [e] : []));
    expect(progress.some((e) => e.progress?.phase === 'indexing' && e.progress.done > 0)).toBe(
      true,
    );
    expect(progress.at(-1)).toMatchObject({ state: 'idle', error: null });
    expect(events.some((e) => e.type === 'library-changed' && e.reason === 'indexing')).toBe(true);
    expect(status).toMatchObject({
      state: 'idle',
      files: goodFiles.length + badFiles.length,
      errors: badFiles.length,
      pending: 0,
      photos: distinctContents(goodFiles),
    });
    expect(status.lastRun).toMatchObject({ state: 'done', errors: badFiles.length });
    const roots = await kit.service.listRoots();
    expect(roots).toEqual([expect.objectContaining({ path: kit.photos, files: status.files })]);
  });

  it('lists the bad files as errors with reasons', async () => {
    const errors = await kit.service.listErrors();
    expect(errors.map((e) => e.path).sort()).toEqual(badFiles);
    for (const error of errors) expect(error.reason.length).toBeGreaterThan(0);
  });

  it('errors carry a human reason and the detail without the path', async () => {
    const errors = await kit.service.listErrors();
    expect(APP_METHODS.listErrors.response.parse(errors)).toEqual(errors);
    const cut = errors.find((e) => e.path.endsWith('cut-in-half.jpg'));
    expect(cut).toMatchObject({ kind: 'truncated', stage: 'decode' });
    const empty = errors.find((e) => e.path.endsWith('empty.jpg'));
    expect(empty?.kind).toBe('empty');
    for (const error of errors) {
      expect(error.summary.length).toBeGreaterThan(0);
      expect(error.detail).not.toContain(error.path);
    }
  });

  it('one read holds every count: status, library folders, sidebar folders and tags', async () => {
    const state = await kit.service.getLibraryState();
    expect(APP_METHODS.getLibraryState.response.parse(state)).toEqual(state);
    expect(state.status).toEqual(await kit.service.getIndexingStatus());
    expect(state.roots).toEqual(await kit.service.listRoots());
    expect(state.folders).toEqual(await kit.service.listFolders());
    expect(state.tags).toEqual(await kit.service.listTags());
    expect(state.roots.reduce((sum, root) => sum + root.files, 0)).toBe(state.status.files);
  });

  it('show in folder names a tracked file, and only such a file', async () => {
    const [failed] = await kit.service.listErrors();
    expect(failed).toBeDefined();
    await expect(kit.service.showFileInFolder({ path: failed!.path })).resolves.toEqual({
      path: failed!.path,
      revealed: false,
    });
    await expect(
      kit.service.showFileInFolder({ path: join(kit.photos, 'not-tracked.jpg') }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });

  it('try again re-queues failed files and indexes them in a new run', async () => {
    const before = await kit.service.listErrors();
    const again = before.filter((e) => e.kind === 'truncated' || e.kind === 'empty');
    // Some failed files, not all: the run must index exactly those.
    expect(again.length).toBeGreaterThanOrEqual(2);
    expect(again.length).toBeLessThan(before.length);
    const finished = nextEvent(kit.service, isIndexingFinished);
    const started = await kit.service.retryFiles({ paths: again.map((e) => e.path) });
    expect(started.pending).toBe(again.length);
    await finished;
    // The files are still broken, so they fail again, with the same reasons; nothing else moved.
    const after = await kit.service.listErrors();
    expect(after.map((e) => [e.path, e.kind])).toEqual(before.map((e) => [e.path, e.kind]));
    const done = await kit.service.getIndexingStatus();
    expect(done.lastRun).toMatchObject({ state: 'done', analysed: 0, errors: again.length });
    expect(done).toMatchObject({ photos: status.photos, files: status.files, pending: 0 });
    await expect(
      kit.service.retryFiles({ paths: [join(kit.photos, 'nope.jpg')] }),
    ).rejects.toMatchObject({ code: 'not-found' });
  });

  it('stacks copies of one picture (PNG/HEIC, PNG/AVIF, PNG/WebP) and lets the user pick', async () => {
    const stacks = await kit.service.listDuplicates();
    expect(APP_METHODS.listDuplicates.response.parse(stacks)).toEqual(stacks);
    const names = stacks.map((stack) =>
      stack.members.flatMap((m) => m.paths.map((p) => p.split('/').at(-1))).sort(),
    );
    for (const twins of [
      ['astronaut.heic', 'astronaut.png'],
      ['coffee.avif', 'coffee.png'],
      ['fruits.jpg', 'fruits.tiff'],
    ]) {
      expect(names).toContainEqual(twins);
    }
    // The cat in PNG and WebP stack; the copy with a transparent third is another picture.
    expect(names.some((n) => n.includes('chelsea.png') && n.includes('chelsea.webp'))).toBe(true);
    const all = await kit.service.listPhotos({ offset: 0, limit: 1000 });
    const stacked = await kit.service.listPhotos({ offset: 0, limit: 1000, stacked: true });
    const hiddenCount = stacks.reduce((sum, stack) => sum + stack.members.length - 1, 0);
    expect(stacked.total).toBe(all.total - hiddenCount);
    for (const stack of stacks) {
      const shown = stacked.photos.filter((p) =>
        stack.members.some((m) => m.photoId === p.photoId),
      );
      expect(shown.map((p) => p.photoId)).toEqual([stack.shownPhotoId]);
      expect(shown[0]?.stackSize).toBe(stack.members.reduce((n, m) => n + m.paths.length, 0));
    }

    // Picking another member shows it instead; nothing leaves the library.
    const stack = stacks.find((s) => s.members.length > 1)!;
    const other = stack.members.find((m) => m.photoId !== stack.shownPhotoId)!.photoId;
    const after = await kit.service.chooseStackPhoto({ photoId: other });
    expect(after.find((s) => s.members.some((m) => m.photoId === other))?.shownPhotoId).toBe(other);
    const regrid = await kit.service.listPhotos({ offset: 0, limit: 1000, stacked: true });
    expect(regrid.photos.map((p) => p.photoId)).toContain(other);
    expect(regrid.photos.map((p) => p.photoId)).not.toContain(stack.shownPhotoId);
    expect((await kit.service.listPhotos({ offset: 0, limit: 1000 })).total).toBe(all.total);
    await kit.service.chooseStackPhoto({ photoId: stack.shownPhotoId });
  });

  it('pages through every photo exactly once, newest first', async () => {
    const limit = 4;
    const seen: number[] = [];
    let total = -1;
    for (let offset = 0; total < 0 || offset < total; offset += limit) {
      const page = await kit.service.listPhotos({ offset, limit });
      total = page.total;
      expect(page.offset).toBe(offset);
      expect(page.photos.length).toBe(Math.min(limit, total - offset));
      for (const photo of page.photos) {
        expect(photo.thumbnailUrl).toBe(`sightline-photo://thumbnail/${photo.photoId}`);
        expect(goodFiles).toContain(photo.path);
      }
      seen.push(...page.photos.map((p) => p.photoId));
    }
    expect(total).toBe(status.photos);
    expect(new Set(seen).size).toBe(total);
    const first = (await kit.service.listPhotos({ offset: 0, limit: 1 })).photos[0]!;
    // Dated photos come first; the newest fixture date is the rotated building's 2019 one or later.
    expect(first.takenAt).not.toBeNull();
  });

  it('filters the grid by date range and camera, like search', async () => {
    const rotated = join(kit.photos, 'library', '2019', 'holiday', 'building-rotated.jpg');
    const july = await kit.service.listPhotos({
      offset: 0,
      limit: 100,
      filters: { from: '2019-07', to: '2019-07' },
    });
    expect(july.photos.map((p) => p.path)).toContain(rotated);
    expect(july.photos.every((p) => p.takenAt?.startsWith('2019-07'))).toBe(true);
    const canon = await kit.service.listPhotos({
      offset: 0,
      limit: 100,
      filters: { camera: '80D' },
    });
    expect(canon.photos.map((p) => p.path)).toContain(rotated);
    const none = await kit.service.listPhotos({
      offset: 0,
      limit: 100,
      filters: { from: '1990', to: '1990' },
    });
    expect(none).toEqual({ total: 0, offset: 0, photos: [] });
  });

  it('opened files: only real images are accepted, announced, listed and served by number', async () => {
    const outside = join(kit.photos, 'library', 'pets', 'chelsea.png');
    const announced = nextEvent(kit.service, (e) => e.type === 'files-opened');
    const added = await kit.service.openFiles([
      outside,
      'relative.jpg',
      join(kit.photos, 'nope.jpg'),
    ]);
    expect(added).toEqual([{ path: outside, url: 'sightline-photo://opened/1' }]);
    expect(await announced).toEqual({ type: 'files-opened', files: added });
    expect(await kit.service.openFiles([outside])).toEqual(added); // same file, same number
    expect(await kit.service.listOpenedFiles()).toEqual(added);
    expect(await kit.service.photoFile('opened', 1)).toEqual({
      path: outside,
      contentType: 'image/png',
    });
    expect(await kit.service.photoFile('opened', 2)).toBeNull();

    // After a core restart the shell re-registers what was opened, without showing it again.
    const seen = events.length;
    const other = join(kit.photos, '..', 'outside-the-library.png'); // removed with the kit
    cpSync(outside, other);
    const quiet = await kit.service.openFiles([other], { announce: false });
    expect(quiet).toEqual([{ path: other, url: 'sightline-photo://opened/2' }]);
    expect(events.slice(seen).filter((e) => e.type === 'files-opened')).toEqual([]);
  });

  it('show in folder names the photo file (revealing it is up to the shell)', async () => {
    const photo = (await kit.service.listPhotos({ offset: 0, limit: 1 })).photos[0]!;
    expect(await kit.service.showInFolder({ photoId: photo.photoId })).toEqual({
      path: photo.path,
      revealed: false,
    });
    await expect(kit.service.showInFolder({ photoId: 999_999 })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(await kit.service.pickFolders()).toEqual({ supported: false, paths: [] });
  });

  it('filters the grid by folder and by tag', async () => {
    const pets = join(kit.photos, 'library', 'pets');
    const page = await kit.service.listPhotos({ offset: 0, limit: 100, filters: { folder: pets } });
    expect(page.total).toBe(distinctContents(filesUnder(pets)));
    expect(page.photos.every((p) => p.path.startsWith(pets))).toBe(true);
    const tagged = await kit.service.listPhotos({
      offset: 0,
      limit: 100,
      filters: { tag: 'architecture' },
    });
    expect(tagged.photos.map((p) => p.path)).toEqual([
      join(kit.photos, 'library', '2019', 'holiday', 'building-rotated.jpg'),
    ]);
    const folders = await kit.service.listFolders();
    expect(folders).toContainEqual({ path: pets, photos: page.total });
  });

  it('shows a photo with its EXIF, GPS, captions and tags', async () => {
    const id = await photoIdOf('building-rotated.jpg');
    const photo = await kit.service.getPhoto({ photoId: id });
    expect(photo.paths).toEqual([
      join(kit.photos, 'library', '2019', 'holiday', 'building-rotated.jpg'),
    ]);
    expect(photo.originalUrl).toBe(`sightline-photo://original/${id}`);
    expect(photo.exif).toMatchObject({
      format: 'jpg',
      orientation: 6,
      cameraMake: 'Canon',
      description: 'old stone building',
    });
    expect(photo.exif.takenAt).toMatch(/^2019-07-14T16:32:05/);
    expect(photo.exif.cameraModel).toContain('EOS 80D');
    expect(photo.exif.keywords).toEqual(expect.arrayContaining(['architecture', 'city']));
    expect(photo.gps!.latitude).toBeCloseTo(48.8584, 3);
    expect(photo.gps!.longitude).toBeCloseTo(2.2945, 3);
    expect(photo.caption.source).toBe('model');
    expect(photo.caption.model).toHaveLength(1);
    expect(photo.caption.text).toBe(photo.caption.model[0]!.text);
    expect(photo.tags).toContainEqual({ tag: 'city', source: 'keyword', score: null });
    expect(photo.tags.some((t) => t.source === 'zero-shot')).toBe(true);
    await expect(kit.service.getPhoto({ photoId: 999_999 })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('searches by text and by example photo', async () => {
    const hits = await kit.service.search({ text: 'old stone building', limit: 3 });
    expect(hits.length).toBe(3);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    expect(hits[0]!.thumbnailUrl).toBe(`sightline-photo://thumbnail/${hits[0]!.photoId}`);
    const pets = join(kit.photos, 'library', 'pets');
    const filtered = await kit.service.search({ text: 'a cat', filters: { folder: pets } });
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((h) => h.path.startsWith(pets))).toBe(true);
    const id = await photoIdOf('chelsea.png');
    const similar = await kit.service.findSimilar({ photoId: id, limit: 2 });
    expect(similar).toHaveLength(2);
    expect(similar.map((h) => h.photoId)).not.toContain(id);
  });

  it('answers a question with earlier turns as context, streaming tokens that add up to the answer', async () => {
    const id = await photoIdOf('chelsea.png');
    const end = nextEvent(kit.service, isAnswerEnd);
    const reply = await kit.service.ask({
      photoId: id,
      question: 'what animal is this?',
      history: [{ question: 'is it indoors?', answer: 'yes' }],
    });
    const { requestId } = reply;
    const done = await end;
    expect(done).toMatchObject({ type: 'answer-done', requestId });
    if (done.type !== 'answer-done') return;
    const tokens = tokensOf(events, requestId);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.join('')).toBe(done.answer);
    await expect(
      kit.service.ask({ photoId: 999_999, question: 'what?', history: [] }),
    ).rejects.toBeInstanceOf(AppError);
  });

  it('describes an image outside the library, streamed under the caller’s request id', async () => {
    const outside = join(kit.root, 'outside.png');
    cpSync(join(PHOTOS_FIXTURE, 'library', 'misc', 'coffee.png'), outside);
    const result = await kit.service.describeImage({ path: outside, requestId: 'describe-1' });
    expect(result.requestId).toBe('describe-1');
    expect(tokensOf(events, 'describe-1').join('')).toBe(result.caption);
    expect(events).toContainEqual({
      type: 'answer-done',
      requestId: 'describe-1',
      answer: result.caption,
    });
    await expect(
      kit.service.describeImage({ path: join(kit.photos, 'bad', 'not-an-image.jpg') }),
    ).rejects.toMatchObject({ code: 'invalid-request' });
  });

  it('user captions and tags win, reach full-text search and survive re-indexing', async () => {
    const id = await photoIdOf('baboon.jpg');
    const edited = await kit.service.updateCaption({ photoId: id, caption: 'zanzibar monkey' });
    expect(edited.caption).toMatchObject({ text: 'zanzibar monkey', source: 'user' });
    expect(edited.caption.model).toHaveLength(1);
    const tagged = await kit.service.addTag({ photoId: id, tag: 'Favourite' });
    expect(tagged.tags[0]).toEqual({ tag: 'favourite', source: 'user', score: null });
    expect(events).toContainEqual({ type: 'library-changed', reason: 'edit', photoIds: [id] });

    const finished = nextEvent(kit.service, isIndexingFinished);
    await kit.service.startIndexing({});
    await finished;
    const after = await kit.service.getPhoto({ photoId: id });
    expect(after.caption.text).toBe('zanzibar monkey');
    expect(after.tags).toContainEqual({ tag: 'favourite', source: 'user', score: null });
    const page = await kit.service.listPhotos({
      offset: 0,
      limit: 100,
      filters: { tag: 'favourite' },
    });
    expect(page.photos.map((p) => [p.photoId, p.caption])).toEqual([[id, 'zanzibar monkey']]);
    expect((await kit.service.listTags()).find((t) => t.tag === 'favourite')).toMatchObject({
      count: 1,
      sources: ['user'],
    });
    expect(fullTextMatches('zanzibar')).toEqual([id]);

    const untagged = await kit.service.removeTag({ photoId: id, tag: 'favourite' });
    expect(untagged.tags.some((t) => t.tag === 'favourite')).toBe(false);
    const cleared = await kit.service.updateCaption({ photoId: id, caption: '' });
    expect(cleared.caption).toMatchObject({ source: 'model', user: null });
    expect(fullTextMatches('zanzibar')).toEqual([]);
  });

  it('pauses, resumes and cancels a run; cancelled work is picked up by the next run', async () => {
    const extra = join(kit.root, 'extra');
    mkdirSync(extra);
    cpSync(join(PHOTOS_FIXTURE, 'library', '2019'), extra, { recursive: true });
    const root = await kit.service.addRoot({ path: extra });
    // Pause right after the first committed batch: the loop then waits before the next one.
    const paused = new Promise<IndexingStatus>((resolvePaused) => {
      const unsubscribe = kit.service.subscribe((event) => {
        if (event.type === 'library-changed' && event.reason === 'indexing') {
          unsubscribe();
          resolvePaused(kit.service.pauseIndexing());
        }
      });
    });
    let finished = nextEvent(kit.service, isIndexingFinished);
    await kit.service.startIndexing({ rootIds: [root.rootId] });
    expect((await paused).state).toBe('paused');
    const whilePaused = await kit.service.getIndexingStatus();
    expect(whilePaused.state).toBe('paused');
    expect(whilePaused.pending).toBeGreaterThan(0);
    await expect(kit.service.removeRoot({ rootId: root.rootId })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await kit.service.cancelIndexing()).state).toBe('cancelling');
    await finished;
    const cancelled = await kit.service.getIndexingStatus();
    expect(cancelled.lastRun?.state).toBe('cancelled');
    expect(cancelled.pending).toBe(whilePaused.pending);

    finished = nextEvent(kit.service, isIndexingFinished);
    await kit.service.startIndexing({ rootIds: [root.rootId] });
    await kit.service.pauseIndexing();
    expect((await kit.service.resumeIndexing()).state).not.toBe('paused');
    await finished;
    const done = await kit.service.getIndexingStatus();
    expect(done).toMatchObject({ pending: 0, lastRun: { state: 'done' } });
    // Same contents as photos already indexed: more files, no more photos.
    expect(done.photos).toBe(status.photos);
    expect(done.files).toBe(status.files + filesUnder(extra).length);

    await kit.service.removeRoot({ rootId: root.rootId });
    expect((await kit.service.getIndexingStatus()).files).toBe(status.files);
    await expect(kit.service.removeRoot({ rootId: root.rootId })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('refuses folders that do not exist and unknown models', async () => {
    await expect(kit.service.addRoot({ path: join(kit.root, 'nope') })).rejects.toMatchObject({
      code: 'invalid-request',
    });
    await expect(kit.service.setupModels({ names: ['no-such-model'] })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  async function photoIdOf(fileName: string): Promise<number> {
    const page = await kit.service.listPhotos({ offset: 0, limit: 1000 });
    const photo = page.photos.find((p) => p.path.endsWith(`/${fileName}`));
    if (!photo) throw new Error(`${fileName} is not in the library`);
    return photo.photoId;
  }

  function fullTextMatches(word: string): number[] {
    const db = openLibraryDatabase(join(kit.root, 'library.db'), { readonly: true });
    try {
      return db
        .prepare<[string], { rowid: number }>(
          'SELECT rowid FROM photo_text WHERE photo_text MATCH ?',
        )
        .all(word)
        .map((r) => r.rowid);
    } finally {
      db.close();
    }
  }
});
