import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PHOTO_SCHEME_PRIVILEGES,
  handlePhotoProtocol,
  registerPhotoSchemePrivileges,
  respondToPhotoRequest,
} from '../../../src-main/app/photo-protocol-handler.ts';
import { PHOTO_SCHEME, type PhotoAccessPolicy } from '../../../src-main/app/photo-protocol.ts';

let root: string;
let policy: PhotoAccessPolicy;
const photoBytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'sightline-photo-handler-')));
  writeFileSync(path.join(root, 'a.jpg'), photoBytes);
  policy = {
    libraryRoots: [root],
    photoFile: (kind, id) =>
      Promise.resolve(kind === 'original' && id === 7 ? { path: path.join(root, 'a.jpg') } : null),
  };
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('photo scheme privileges', () => {
  it('registers the scheme as standard, secure, fetchable and streamable', () => {
    const registered: unknown[] = [];
    registerPhotoSchemePrivileges({
      registerSchemesAsPrivileged: (schemes) => registered.push(...schemes),
    });
    expect(registered).toEqual([
      {
        scheme: PHOTO_SCHEME,
        privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
      },
    ]);
    expect(registered[0]).toBe(PHOTO_SCHEME_PRIVILEGES);
  });
});

describe('respondToPhotoRequest', () => {
  it('streams the file with its MIME type and nosniff', async () => {
    const response = await respondToPhotoRequest(
      { url: 'sightline-photo://original/7', method: 'GET' },
      policy,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(photoBytes);
  });

  it('answers HEAD without a body', async () => {
    const response = await respondToPhotoRequest(
      { url: 'sightline-photo://original/7', method: 'HEAD' },
      policy,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('turns refusals into 403/404 responses with the reason', async () => {
    const missing = await respondToPhotoRequest(
      { url: 'sightline-photo://original/8', method: 'GET' },
      policy,
    );
    expect(missing.status).toBe(404);
    const traversal = await respondToPhotoRequest(
      { url: 'sightline-photo://original/..%2f7', method: 'GET' },
      policy,
    );
    expect(traversal.status).toBe(403);
    expect(await traversal.text()).toMatch(/encoded/);
  });

  it('answers 503 while the service cannot be asked', async () => {
    const response = await respondToPhotoRequest(
      { url: 'sightline-photo://original/7', method: 'GET' },
      { ...policy, photoFile: () => Promise.reject(new Error('the core is restarting')) },
    );
    expect(response.status).toBe(503);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const response = await respondToPhotoRequest(
      { url: 'sightline-photo://original/7', method: 'POST' },
      policy,
    );
    expect(response.status).toBe(405);
  });
});

describe('handlePhotoProtocol', () => {
  it('serves the scheme and reads the policy on every request', async () => {
    let handler: ((request: Request) => Response | Promise<Response>) | undefined;
    let policyReads = 0;
    handlePhotoProtocol(
      {
        handle: (scheme, registered) => {
          expect(scheme).toBe(PHOTO_SCHEME);
          handler = registered;
        },
      },
      () => {
        policyReads += 1;
        return policy;
      },
    );
    expect(handler).toBeDefined();
    const request = { url: 'sightline-photo://original/7', method: 'GET' } as Request;
    expect((await handler!(request)).status).toBe(200);
    expect((await handler!(request)).status).toBe(200);
    expect(policyReads).toBe(2);
  });
});
