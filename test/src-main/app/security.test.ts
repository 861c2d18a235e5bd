import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { rendererIndexPath } from '../../../src-main/app/renderer-location.ts';
import {
  applyContentSecurityPolicy,
  contentSecurityPolicy,
  createNavigationPolicy,
  denyAllPermissions,
  isTrustedSender,
  metaContentSecurityPolicy,
  registerValidatedHandler,
  safeExternalUrl,
  withContentSecurityPolicy,
  type IpcMainLike,
  type InvokeSender,
  type ValidatedHandlerOptions,
} from '../../../src-main/app/security.ts';

const indexHtml = new URL('../../../src-renderer/index.html', import.meta.url);

function metaCsp(html: string): string {
  const match = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
  if (match === null) throw new Error('index.html has no CSP meta tag');
  return match[1]!;
}

describe('safeExternalUrl', () => {
  it('lets absolute http(s) URLs through, normalised', () => {
    expect(safeExternalUrl('https://example.com/docs?q=1')).toBe('https://example.com/docs?q=1');
    expect(safeExternalUrl('HTTP://Example.com')).toBe('http://example.com/');
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'sightline-photo://original/1',
    'smb://server/share',
    '/relative/path',
    '//example.com/protocol-relative',
    'example.com',
    'https://bank.example@evil.test/',
    'https://user:pw@example.com/',
    '',
  ])('refuses %j', (input) => {
    expect(safeExternalUrl(input)).toBeNull();
  });
});

describe('Content Security Policy', () => {
  it('is the strict policy, header form', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' sightline-photo: data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('equals the meta tag of src-renderer/index.html (minus header-only directives)', () => {
    const fromHtml = metaCsp(readFileSync(indexHtml, 'utf8'));
    expect(fromHtml).toBe(metaContentSecurityPolicy());
    expect(contentSecurityPolicy().startsWith(fromHtml)).toBe(true);
    expect(fromHtml).not.toContain('frame-ancestors');
  });

  it('relaxes only style-src, and only when asked (Vite dev server)', () => {
    const relaxed = contentSecurityPolicy({ allowInlineStyles: true });
    expect(relaxed).toBe(
      contentSecurityPolicy().replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
    );
  });

  it('replaces any CSP header, whatever its casing, and keeps the others', () => {
    const headers = withContentSecurityPolicy(
      { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] },
      'default-src none',
    );
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': ['default-src none'],
    });
  });

  it('installs an onHeadersReceived listener that adds the header', () => {
    type Listener = (
      details: { responseHeaders?: Record<string, string[]> },
      callback: (response: unknown) => void,
    ) => void;
    let listener: Listener | undefined;
    const session = {
      webRequest: {
        onHeadersReceived: (registered: Listener) => {
          listener = registered;
        },
      },
    };
    type SessionParameter = Parameters<typeof applyContentSecurityPolicy>[0];
    applyContentSecurityPolicy(session as unknown as SessionParameter, 'default-src none');
    const callback = vi.fn();
    if (listener === undefined) throw new Error('no listener installed');
    listener({ responseHeaders: { Server: ['x'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { Server: ['x'], 'Content-Security-Policy': ['default-src none'] },
    });
  });
});

describe('navigation policy', () => {
  it('prevents every navigation and hands only safe links to the browser', () => {
    const openExternal = vi.fn(() => Promise.resolve());
    const policy = createNavigationPolicy(openExternal);
    const preventDefault = vi.fn();
    policy.onNavigate({ preventDefault }, 'https://example.com/');
    policy.onNavigate({ preventDefault }, 'file:///etc/passwd');
    expect(preventDefault).toHaveBeenCalledTimes(2);
    expect(openExternal.mock.calls).toEqual([['https://example.com/']]);
  });

  it('denies every new window', () => {
    const openExternal = vi.fn(() => Promise.resolve());
    const policy = createNavigationPolicy(openExternal);
    expect(policy.onWindowOpen({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(policy.onWindowOpen({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://example.com/']]);
  });

  it('denies permission requests and checks', () => {
    type RequestHandler = (
      contents: unknown,
      permission: string,
      cb: (ok: boolean) => void,
    ) => void;
    let requestHandler: RequestHandler | undefined;
    let checkHandler: (() => boolean) | undefined;
    const session = {
      setPermissionRequestHandler: (handler: RequestHandler) => {
        requestHandler = handler;
      },
      setPermissionCheckHandler: (handler: () => boolean) => {
        checkHandler = handler;
      },
    };
    denyAllPermissions(session);
    const callback = vi.fn();
    requestHandler?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(checkHandler?.()).toBe(false);
  });
});

describe('isTrustedSender', () => {
  it('trusts only our renderer page', () => {
    expect(isTrustedSender(pathToFileURL(rendererIndexPath).href)).toBe(true);
    expect(isTrustedSender('https://example.com/')).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
});

describe('registerValidatedHandler', () => {
  type Listener = (event: InvokeSender, ...args: unknown[]) => unknown;
  const trusted: InvokeSender = { senderFrame: { url: pathToFileURL(rendererIndexPath).href } };

  function register(
    handler: (request: { path: string }) => string,
    options: ValidatedHandlerOptions<string> = {},
  ): Listener {
    const listeners = new Map<string, Listener>();
    const ipcMain = {
      handle: (channel: string, listener: Listener) => {
        listeners.set(channel, listener);
      },
    } as unknown as IpcMainLike;
    registerValidatedHandler(
      ipcMain,
      'test:echo',
      z.object({ path: z.string().min(1) }),
      handler,
      options,
    );
    const listener = listeners.get('test:echo');
    if (listener === undefined) throw new Error('handler was not registered');
    return listener;
  }

  it('calls the handler with the parsed payload for our renderer', async () => {
    const handler = vi.fn((request: { path: string }) => `got ${request.path}`);
    const listener = register(handler);
    await expect(listener(trusted, { path: 'a.jpg', extra: 1 })).resolves.toBe('got a.jpg');
    // zod strips unknown keys: the handler never sees what the schema does not describe.
    expect(handler).toHaveBeenCalledWith({ path: 'a.jpg' }, trusted);
  });

  it('rejects untrusted or vanished senders without calling the handler', async () => {
    const handler = vi.fn(() => 'nope');
    const listener = register(handler);
    const foreign = { senderFrame: { url: 'https://evil.test/' } };
    await expect(listener(foreign, { path: 'a.jpg' })).rejects.toThrow(
      /test:echo rejected: sender is not the Sightline renderer/,
    );
    await expect(listener({ senderFrame: null }, { path: 'a.jpg' })).rejects.toThrow(/sender/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects malformed payloads and extra arguments with a clear error', async () => {
    const handler = vi.fn(() => 'nope');
    const listener = register(handler);
    await expect(listener(trusted, { path: '' })).rejects.toThrow(
      /test:echo rejected: invalid payload:.*path/s,
    );
    await expect(listener(trusted, 'a.jpg')).rejects.toThrow(/invalid payload/);
    await expect(listener(trusted)).rejects.toThrow(/invalid payload/);
    await expect(listener(trusted, { path: 'a.jpg' }, 'more')).rejects.toThrow(/one argument/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers malformed payloads with invalidPayload when given, but never untrusted senders', async () => {
    const handler = vi.fn(() => 'nope');
    const listener = register(handler, { invalidPayload: (message) => `refused: ${message}` });
    await expect(listener(trusted, { path: '' })).resolves.toMatch(/^refused: .*invalid payload/s);
    await expect(listener(trusted, { path: 'a' }, 2)).resolves.toMatch(/^refused: .*one argument/);
    await expect(listener({ senderFrame: null }, { path: '' })).rejects.toThrow(/sender/);
    expect(handler).not.toHaveBeenCalled();
  });
});
