import { describe, expect, it } from 'vitest';
import {
  APP_METHODS,
  APP_METHOD_NAMES,
  appEventSchema,
  askRequestSchema,
  isAppMethodName,
  listPhotosRequestSchema,
  parsePhotoPath,
  photoUrl,
  searchRequestSchema,
  tagEditRequestSchema,
  updateCaptionRequestSchema,
} from '../../../src-main/shared/contract.ts';

describe('app contract schemas', () => {
  it('accept well-formed requests', () => {
    const filters = { tag: 'cat', from: '2019-07', camera: 'Canon' };
    expect(listPhotosRequestSchema.parse({ offset: 0, limit: 100, filters })).toEqual({
      offset: 0,
      limit: 100,
      filters,
    });
    expect(
      listPhotosRequestSchema.safeParse({ offset: 0, limit: 1, filters: { to: 'July' } }),
    ).toMatchObject({ success: false });
    expect(askRequestSchema.parse({ photoId: 3, question: ' why? ', history: [] })).toMatchObject({
      photoId: 3,
      question: 'why?',
    });
    expect(askRequestSchema.parse({ path: '/a.jpg', question: 'q', history: [] })).toMatchObject({
      path: '/a.jpg',
    });
    expect(
      searchRequestSchema.parse({ text: 'dog', filters: { from: '2019-07', hasGps: true } }),
    ).toBeTruthy();
  });

  it('reject malformed requests', () => {
    const bad: [string, unknown][] = [
      ['listPhotos', { offset: -1, limit: 10 }],
      ['listPhotos', { offset: 0, limit: 0 }],
      ['listPhotos', { offset: 0.5, limit: 10 }],
      ['listPhotos', { offset: '0', limit: 10 }],
      ['listPhotos', { offset: 0, limit: 1_000_000 }],
      ['getPhoto', { photoId: 0 }],
      ['getPhoto', { photoId: '../../etc/passwd' }],
      ['getPhoto', {}],
      ['addRoot', { path: '' }],
      ['search', { text: '   ' }],
      ['search', { text: 'x', filters: { from: 'last year' } }],
      ['ask', { photoId: 1, path: '/a.jpg', question: 'q', history: [] }],
      ['ask', { question: 'q', history: [] }],
      ['ask', { photoId: 1, question: '', history: [] }],
      ['ask', { photoId: 1, question: 'q' }],
      ['ask', { photoId: 1, question: 'q', history: [], requestId: 'a b' }],
      ['describeImage', { path: '' }],
      ['updateCaption', { photoId: 1 }],
      ['addTag', { photoId: 1, tag: '  ' }],
      ['setupModels', { names: [] }],
      ['setupModels', { names: ['../x'] }],
      ['startIndexing', { rootIds: [-1] }],
      ['removeRoot', { rootId: 'one' }],
    ];
    for (const [method, payload] of bad) {
      if (!isAppMethodName(method)) throw new Error(method);
      const schema = APP_METHODS[method].request;
      expect(schema, method).not.toBeNull();
      expect(schema!.safeParse(payload).success, `${method} ${JSON.stringify(payload)}`).toBe(
        false,
      );
    }
  });

  it('trims captions and tags', () => {
    expect(updateCaptionRequestSchema.parse({ photoId: 1, caption: '  hi ' }).caption).toBe('hi');
    expect(tagEditRequestSchema.parse({ photoId: 1, tag: ' Cat ' }).tag).toBe('Cat');
  });

  it('names every method in one table, and nothing inherited counts as a method', () => {
    expect(APP_METHOD_NAMES).toContain('getVersion');
    expect(APP_METHOD_NAMES).toContain('describeImage');
    for (const name of ['__proto__', 'constructor', 'toString', 'subscribe'])
      expect(isAppMethodName(name)).toBe(false);
  });

  it('validates events by type', () => {
    expect(
      appEventSchema.safeParse({ type: 'answer-token', requestId: 'r1', text: ' a' }).success,
    ).toBe(true);
    expect(appEventSchema.safeParse({ type: 'answer-token', requestId: 'r1' }).success).toBe(false);
    expect(appEventSchema.safeParse({ type: 'surprise' }).success).toBe(false);
  });

  it('builds and parses photo URLs by id only', () => {
    expect(photoUrl('sightline-photo://', 'thumbnail', 42)).toBe('sightline-photo://thumbnail/42');
    expect(parsePhotoPath('original/42')).toEqual({ kind: 'original', photoId: 42 });
    for (const path of [
      'original/0',
      'original/-1',
      'original/1.5',
      'other/1',
      'original/1/x',
      'original/../1',
      'original/99999999999999999',
    ])
      expect(parsePhotoPath(path), path).toBeNull();
  });
});
