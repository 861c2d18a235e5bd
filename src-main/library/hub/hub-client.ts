import { HubError, httpError, isAbort, networkError } from './errors.ts';

/** One repo at one revision on one Hub (huggingface.co or a mirror given by HF_ENDPOINT). */
export interface HubContext {
  endpoint: string;
  token: string | undefined;
  repoId: string;
  signal: AbortSignal | undefined;
}

export interface RepoInfo {
  /** The commit the requested revision resolved to (files are fetched from it, not from a branch). */
  commit: string;
  files: string[];
  /** Sizes when the Hub listed them (`?blobs=true`); missing ones come from each file's HEAD. */
  sizes: Map<string, number>;
}

export interface FileMeta {
  size: number;
  /** sha256 of the content when the Hub gave one (LFS files), else null: verify the size only. */
  sha256: string | null;
}

const SHA256 = /^[0-9a-f]{64}$/;

export function trimEndpoint(endpoint: string): string {
  return endpoint.replace(/\/+$/, '');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(ctx: HubContext, revision: string, file: string): string {
  return `${trimEndpoint(ctx.endpoint)}/${encodePath(ctx.repoId)}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

function headersFor(ctx: HubContext, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'user-agent': 'sightline',
    ...(ctx.token ? { authorization: `Bearer ${ctx.token}` } : {}),
    ...extra,
  };
}

/** fetch with Sightline's error wording: aborts and unreachable hosts become HubErrors. */
export async function hubFetch(ctx: HubContext, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: ctx.signal ?? null });
  } catch (error) {
    if (isAbort(error) || ctx.signal?.aborted) throw new HubError('aborted', 'download cancelled');
    throw networkError(trimEndpoint(ctx.endpoint), error);
  }
}

/** `GET {endpoint}/api/models/{repo}/revision/{rev}` → commit + file names (+ sizes when listed). */
export async function fetchRepoInfo(ctx: HubContext, revision: string): Promise<RepoInfo> {
  const url = `${trimEndpoint(ctx.endpoint)}/api/models/${encodePath(ctx.repoId)}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const response = await hubFetch(ctx, url, { headers: headersFor(ctx) });
  if (!response.ok) {
    await response.body?.cancel();
    throw httpError(response.status, `${ctx.repoId}@${revision}`, ctx.repoId);
  }
  const body = (await response.json()) as {
    sha?: unknown;
    siblings?: { rfilename?: unknown; size?: unknown; lfs?: { size?: unknown } }[];
  };
  if (!Array.isArray(body.siblings)) {
    throw new HubError('http', `${url} did not return a Hub model listing (no siblings)`);
  }
  const files: string[] = [];
  const sizes = new Map<string, number>();
  for (const sibling of body.siblings) {
    if (typeof sibling.rfilename !== 'string') continue;
    files.push(sibling.rfilename);
    const size = sibling.lfs?.size ?? sibling.size;
    if (typeof size === 'number') sizes.set(sibling.rfilename, size);
  }
  const commit = typeof body.sha === 'string' && body.sha ? body.sha : revision;
  return { commit, files, sizes };
}

function unquoteEtag(value: string | null): string | null {
  if (!value) return null;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * HEAD of a resolve URL without following redirects off the Hub: large (LFS) files redirect to a
 * CDN, and only the Hub's own answer carries `X-Linked-Etag` (their sha256) and `X-Linked-Size`.
 * Same-host redirects (renamed repos, the resolve cache) are followed.
 */
export async function fetchFileMeta(
  ctx: HubContext,
  revision: string,
  file: string,
): Promise<FileMeta> {
  let url = resolveUrl(ctx, revision, file);
  const origin = new URL(url).origin;
  for (let hop = 0; hop < 5; hop++) {
    const response = await hubFetch(ctx, url, {
      method: 'HEAD',
      redirect: 'manual',
      headers: headersFor(ctx, { 'accept-encoding': 'identity' }),
    });
    const location = response.headers.get('location');
    const linkedSize = response.headers.get('x-linked-size');
    const redirected = response.status >= 300 && response.status < 400 && location !== null;
    if (redirected && !linkedSize && new URL(location, url).origin === origin) {
      url = new URL(location, url).href;
      continue;
    }
    if (!redirected && !response.ok)
      throw httpError(response.status, `${ctx.repoId}/${file}`, ctx.repoId);
    const etag = unquoteEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
    const size = Number(linkedSize ?? response.headers.get('content-length') ?? NaN);
    if (!Number.isFinite(size) || size < 0) {
      throw new HubError('http', `the Hub gave no size for ${ctx.repoId}/${file}`);
    }
    return { size, sha256: etag && SHA256.test(etag.toLowerCase()) ? etag.toLowerCase() : null };
  }
  throw new HubError('http', `too many redirects for ${ctx.repoId}/${file}`);
}

/** GET of a file from `offset` (a Range request when > 0); redirects to the CDN are followed. */
export async function openFile(
  ctx: HubContext,
  revision: string,
  file: string,
  offset: number,
): Promise<Response> {
  const extra: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) extra.range = `bytes=${offset}-`;
  // fetch drops Authorization itself when a redirect leaves the Hub's origin (signed CDN URLs).
  return hubFetch(ctx, resolveUrl(ctx, revision, file), { headers: headersFor(ctx, extra) });
}
