import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A Hugging Face Hub on 127.0.0.1 serving local folders with the Hub's URL layout and headers:
 * `GET /api/models/{repo}/revision/{rev}` (siblings, `?blobs=true` sizes), and
 * `HEAD|GET /{repo}/resolve/{rev}/{file}`. Large files (`*.safetensors`, like LFS on the Hub)
 * answer with a 302 to `/cdn/...` carrying `X-Linked-Etag` (sha256) and `X-Linked-Size`; small
 * ones are served directly with their git blob sha1 as ETag. Ranges are honoured. Faults can be
 * switched on per test through `faults`.
 */
export interface FakeRepo {
  repoId: string;
  /** Folder whose top-level files are the repo's files. */
  dir: string;
  /** Extra files (name → content) added on top of the folder. */
  extraFiles?: Record<string, Buffer>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  range: string | null;
  authorization: string | null;
  status: number;
}

export interface FakeHubFaults {
  /** Serve this many bytes of a file, then drop the connection; `times` requests are affected. */
  drop: Map<string, { afterBytes: number; times: number }>;
  /** Flip a byte in the body of this file for `times` requests. */
  corrupt: Map<string, number>;
  /** Answer Range requests with the whole file (200), like a server without range support. */
  ignoreRange: boolean;
  /** Hold the first N file bodies until N are requested at once (proves parallel downloads). */
  holdUntilConcurrent: number;
}

export interface FakeHub {
  endpoint: string;
  requests: LoggedRequest[];
  faults: FakeHubFaults;
  /** Most file bodies being served at the same time. */
  maxConcurrentBodies: number;
  /** Called as each request arrives (before it is answered). */
  onRequest: ((request: LoggedRequest) => void) | null;
  /** Lets every held body go and ends holding (see faults.holdUntilConcurrent). */
  releaseHeld(): void;
  commitOf(repoId: string): string;
  fileBytes(repoId: string, file: string): Buffer;
  close(): Promise<void>;
}

export interface FakeHubOptions {
  repos: FakeRepo[];
  /** When set, every request needs `Authorization: Bearer <token>` (401 without, 403 if wrong). */
  requireToken?: string;
}

interface ServedRepo {
  commit: string;
  files: Map<string, Buffer>;
}

const isLfs = (file: string): boolean => file.endsWith('.safetensors');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const gitBlobSha1 = (data: Buffer): string =>
  createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const repos = new Map<string, ServedRepo>();
  for (const repo of options.repos) {
    const files = new Map<string, Buffer>();
    for (const name of readdirSync(repo.dir).sort()) {
      if (statSync(join(repo.dir, name)).isFile())
        files.set(name, readFileSync(join(repo.dir, name)));
    }
    for (const [name, data] of Object.entries(repo.extraFiles ?? {})) files.set(name, data);
    const commit = createHash('sha1').update(repo.repoId).digest('hex');
    repos.set(repo.repoId, { commit, files });
  }

  const requests: LoggedRequest[] = [];
  const faults: FakeHubFaults = {
    drop: new Map(),
    corrupt: new Map(),
    ignoreRange: false,
    holdUntilConcurrent: 0,
  };
  let bodiesInFlight = 0;
  let held: (() => void)[] = [];
  let heldServed = 0;

  const hub: FakeHub = {
    endpoint: '',
    requests,
    faults,
    maxConcurrentBodies: 0,
    onRequest: null,
    releaseHeld: () => {
      faults.holdUntilConcurrent = 0;
      heldServed = 0;
      const waiting = held;
      held = [];
      waiting.forEach((release) => release());
    },
    commitOf: (repoId) => repos.get(repoId)!.commit,
    fileBytes: (repoId, file) => repos.get(repoId)!.files.get(file)!,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const lookup = (org: string, name: string, rev: string): ServedRepo | null => {
    const repo = repos.get(`${org}/${name}`);
    return repo && (rev === 'main' || rev === repo.commit) ? repo : null;
  };

  const send = (res: ServerResponse, status: number, body = '', headers = {}): void => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

  async function serveBody(req: IncomingMessage, res: ServerResponse, file: string, data: Buffer) {
    const headers: Record<string, string | number> = {
      etag: `"${isLfs(file) ? sha256(data) : gitBlobSha1(data)}"`,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !faults.ignoreRange) {
      start = Number(range[1]);
      if (start >= data.length) {
        send(res, 416, '', { 'content-range': `bytes */${data.length}` });
        return 416;
      }
      headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    const status = start > 0 || headers['content-range'] ? 206 : 200;
    headers['content-length'] = data.length - start;
    if (req.method === 'HEAD') {
      res.writeHead(status, headers);
      res.end();
      return status;
    }
    await holdIfAsked();
    bodiesInFlight++;
    hub.maxConcurrentBodies = Math.max(hub.maxConcurrentBodies, bodiesInFlight);
    let body = data.subarray(start);
    const corrupt = faults.corrupt.get(file) ?? 0;
    if (corrupt > 0 && body.length > 0) {
      faults.corrupt.set(file, corrupt - 1);
      body = Buffer.from(body);
      body[body.length >> 1]! ^= 0xff;
    }
    res.writeHead(status, headers);
    const drop = faults.drop.get(file);
    if (drop && drop.times > 0 && drop.afterBytes < body.length) {
      drop.times--;
      res.write(body.subarray(0, drop.afterBytes), () => {
        bodiesInFlight--;
        res.socket?.destroy();
      });
      return status;
    }
    res.end(body, () => bodiesInFlight--);
    return status;
  }

  /** Parks the first N body requests until N have arrived (or 5 s pass, so a test fails, not hangs). */
  async function holdIfAsked(): Promise<void> {
    if (heldServed >= faults.holdUntilConcurrent) return;
    heldServed++;
    await new Promise<void>((resolve) => {
      held.push(resolve);
      const release = (): void => {
        const waiting = held;
        held = [];
        waiting.forEach((r) => r());
      };
      if (held.length >= faults.holdUntilConcurrent) release();
      else setTimeout(release, 5000).unref();
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (options.requireToken) {
      const auth = req.headers.authorization;
      if (!auth) return (send(res, 401, 'unauthorized'), 401);
      if (auth !== `Bearer ${options.requireToken}`) return (send(res, 403, 'forbidden'), 403);
    }
    // /api/models/{org}/{name}/revision/{rev}
    if (parts[0] === 'api' && parts[1] === 'models' && parts[4] === 'revision') {
      const repo = lookup(parts[2]!, parts[3]!, parts[5] ?? '');
      if (!repo) return (send(res, 404, 'Repository not found'), 404);
      const blobs = url.searchParams.get('blobs') === 'true';
      const siblings = [...repo.files.entries()].map(([rfilename, data]) => ({
        rfilename,
        ...(blobs ? { size: data.length } : {}),
        ...(blobs && isLfs(rfilename) ? { lfs: { sha256: sha256(data), size: data.length } } : {}),
      }));
      const body = JSON.stringify({ id: `${parts[2]}/${parts[3]}`, sha: repo.commit, siblings });
      send(res, 200, body, { 'content-type': 'application/json' });
      return 200;
    }
    // /cdn/{org}/{name}/{commit}/{file}: where LFS files redirect to.
    if (parts[0] === 'cdn' && parts.length === 5) {
      const repo = lookup(parts[1]!, parts[2]!, parts[3]!);
      const data = repo?.files.get(parts[4]!);
      if (!data) return (send(res, 404, 'no such blob'), 404);
      return serveBody(req, res, parts[4]!, data);
    }
    // /{org}/{name}/resolve/{rev}/{file}
    if (parts[2] === 'resolve' && parts.length === 5) {
      const repo = lookup(parts[0]!, parts[1]!, parts[3]!);
      const file = parts[4]!;
      const data = repo?.files.get(file);
      if (!repo || !data) return (send(res, 404, 'Entry not found'), 404);
      if (isLfs(file)) {
        const location = `/cdn/${parts[0]}/${parts[1]}/${repo.commit}/${encodeURIComponent(file)}`;
        send(res, 302, '', {
          location,
          'x-repo-commit': repo.commit,
          'x-linked-etag': `"${sha256(data)}"`,
          'x-linked-size': String(data.length),
          etag: `"${gitBlobSha1(data)}"`,
        });
        return 302;
      }
      res.setHeader('x-repo-commit', repo.commit);
      return serveBody(req, res, file, data);
    }
    send(res, 404, 'not found');
    return 404;
  }

  const server = createServer((req, res) => {
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      range: req.headers.range ?? null,
      authorization: req.headers.authorization ?? null,
      status: 0,
    };
    requests.push(entry);
    hub.onRequest?.(entry);
    handle(req, res).then(
      (status) => (entry.status = status),
      (error: unknown) => {
        entry.status = 500;
        send(res, 500, String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

/** An endpoint nothing listens on (a port that was just free), for "offline" tests. */
export async function closedPortEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
