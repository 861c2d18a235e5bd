// Main-process security rules: what the renderer may load, where it may navigate, which links
// leave the app, and who may call IPC. The rules are pure functions; the `apply*`/`register*`
// helpers take the Electron objects as parameters so tests can hand in fakes.
import type { IpcMain, Session, WebContents } from 'electron';
import { z } from 'zod';
import { PHOTO_SCHEME } from './photo-protocol.ts';
import { isTrustedRendererUrl } from './renderer-location.ts';

// ---------------------------------------------------------------------------------------------
// Content Security Policy

/**
 * The one policy for the renderer. Photos arrive through our own scheme, never file:, and the
 * page talks to the main process only through the preload, so `connect-src 'self'` suffices.
 */
const CSP_DIRECTIVES: readonly (readonly [string, readonly string[]])[] = [
  ['default-src', ["'none'"]],
  ['script-src', ["'self'"]],
  ['style-src', ["'self'"]],
  ['img-src', ["'self'", `${PHOTO_SCHEME}:`, 'data:']],
  ['connect-src', ["'self'"]],
  ['font-src', ["'self'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
];

/** Directives browsers ignore (with a console warning) when the policy comes from a <meta>. */
const HEADER_ONLY_DIRECTIVES = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

export interface CspOptions {
  /** Vite's dev server injects component styles inline; only then are they allowed. */
  allowInlineStyles?: boolean;
}

function formatCsp(directives: readonly (readonly [string, readonly string[]])[]): string {
  return directives.map(([name, sources]) => [name, ...sources].join(' ')).join('; ');
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  return formatCsp(
    CSP_DIRECTIVES.map(([name, sources]) =>
      name === 'style-src' && options.allowInlineStyles === true
        ? [name, [...sources, "'unsafe-inline'"]]
        : [name, sources],
    ),
  );
}

/** What `src-renderer/index.html` must carry in its CSP <meta> (a test keeps them equal). */
export function metaContentSecurityPolicy(): string {
  return formatCsp(CSP_DIRECTIVES.filter(([name]) => !HEADER_ONLY_DIRECTIVES.has(name)));
}

/** Replaces any Content-Security-Policy header (whatever its casing) with ours. */
export function withContentSecurityPolicy(
  responseHeaders: Readonly<Record<string, string | string[]>> | undefined,
  policy: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(responseHeaders ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
  }
  headers['Content-Security-Policy'] = [policy];
  return headers;
}

/** Sends the policy as a header too: unlike the <meta>, it also covers frame-ancestors. */
export function applyContentSecurityPolicy(
  session: Pick<Session, 'webRequest'>,
  policy: string,
): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, policy) });
  });
}

// ---------------------------------------------------------------------------------------------
// Navigation, popups, external links, permissions

/**
 * A URL the OS may open in the user's browser, or null. Only absolute http(s) URLs without
 * embedded credentials (`https://bank.example@evil.test/` is a classic phishing disguise).
 */
export function safeExternalUrl(input: string): string | null {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  return url.href;
}

export type OpenExternal = (url: string) => Promise<void>;

export interface NavigationPolicy {
  /** For `will-navigate`, `will-redirect` and `will-frame-navigate`. */
  onNavigate: (event: { preventDefault: () => void }, url: string) => void;
  /** For `setWindowOpenHandler`. */
  onWindowOpen: (details: { url: string }) => { action: 'deny' };
}

/**
 * The app is a single page: every navigation and popup is refused. A link to a web page is
 * handed to the user's browser instead, which is what clicking it is meant to do.
 */
export function createNavigationPolicy(openExternal: OpenExternal): NavigationPolicy {
  const openOutside = (url: string): void => {
    const safe = safeExternalUrl(url);
    if (safe !== null) void openExternal(safe).catch(() => undefined);
  };
  return {
    onNavigate: (event, url) => {
      event.preventDefault();
      openOutside(url);
    },
    onWindowOpen: ({ url }) => {
      openOutside(url);
      return { action: 'deny' };
    },
  };
}

export function lockDownWebContents(contents: WebContents, openExternal: OpenExternal): void {
  const policy = createNavigationPolicy(openExternal);
  contents.on('will-navigate', (event) => {
    policy.onNavigate(event, event.url);
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(policy.onWindowOpen);
}

/** Camera, microphone, notifications, geolocation…: the app needs none of them. */
export function denyAllPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => {
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
}

// ---------------------------------------------------------------------------------------------
// IPC

/** Only our own renderer page may call the main process. */
export function isTrustedSender(frameUrl: string | null | undefined): boolean {
  return typeof frameUrl === 'string' && isTrustedRendererUrl(frameUrl);
}

/** The part of Electron's invoke event the checks read. */
export interface InvokeSender {
  senderFrame: { url: string } | null;
}

export interface ValidatedHandlerOptions<Result = unknown> {
  /** Replaces `isTrustedSender` (tests, or a second trusted page). */
  isTrusted?: (frameUrl: string | null | undefined) => boolean;
  /**
   * The answer to a trusted caller's malformed payload, instead of a rejection (whose message
   * Electron would bury in "Error invoking remote method…"). Untrusted senders always get one.
   */
  invalidPayload?: (message: string) => Result;
}

/** Structural stand-in for `ipcMain`, so a fake can be passed in tests. */
export type IpcMainLike = Pick<IpcMain, 'handle'>;

/**
 * Registers `handler` for `channel` so that it runs only for our renderer and only with a
 * payload that `requestSchema` accepts (exactly one argument; use `z.undefined()` for calls
 * without one). Anything else is rejected with an error naming the channel and the problem.
 */
export function registerValidatedHandler<Schema extends z.ZodType, Result>(
  ipcMain: IpcMainLike,
  channel: string,
  requestSchema: Schema,
  handler: (request: z.output<Schema>, event: InvokeSender) => Result | Promise<Result>,
  options: ValidatedHandlerOptions<Result> = {},
): void {
  const isTrusted = options.isTrusted ?? isTrustedSender;
  const refuse = (message: string): Result => {
    if (options.invalidPayload !== undefined) return options.invalidPayload(message);
    throw new Error(message);
  };
  ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<Result> => {
    if (!isTrusted(event.senderFrame?.url)) {
      throw new Error(`IPC ${channel} rejected: sender is not the Sightline renderer`);
    }
    if (args.length > 1) {
      return refuse(`IPC ${channel} rejected: expected one argument, got ${args.length}`);
    }
    const parsed = requestSchema.safeParse(args[0]);
    if (!parsed.success) {
      return refuse(`IPC ${channel} rejected: invalid payload: ${z.prettifyError(parsed.error)}`);
    }
    return handler(parsed.data, event);
  });
}
