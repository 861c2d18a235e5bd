import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, type AppErrorCode } from '../shared/app-error.ts';
import { APP_METHODS, isAppMethodName, type AppApi } from '../shared/contract.ts';
import { parsePhotoPath, type PhotoFileKind } from '../shared/photo-urls.ts';
import { HTTP_STATUS_OF } from './http-status.ts';
import { sseComment, sseEvent } from './sse.ts';

/** Serves the files behind photo URLs; looked up by photo id, never by a client-given path. */
export interface PhotoFileSource {
  photoFile(
    kind: PhotoFileKind,
    photoId: number,
  ): Promise<{ path: string; contentType: string } | null>;
}

export interface LoopbackServerOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** A loopback address (default 127.0.0.1); anything else is refused. */
  host?: string;
  /** Origins (e.g. a dev server serving the renderer) allowed to call across origins. */
  allowedOrigins?: readonly string[];
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>`; photo URLs live under `<url>/photo/`. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const MAX_BODY_BYTES = 1 << 20;
const HEARTBEAT_MS = 15_000;

/**
 * AppApi over HTTP on the loopback interface, for tests and the browser build of the renderer:
 * `POST /api/<method>` (JSON body validated with the contract's schema → JSON result, or
 * `{ error, code }` with a 4xx/5xx status), `GET /api/events` (Server-Sent Events, one JSON
 * AppEvent per event) and `GET /photo/<thumbnail|original>/<photoId>`.
 */
export async function startLoopbackServer(
  service: AppApi & PhotoFileSource,
  options: LoopbackServerOptions = {},
): Promise<LoopbackServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`refusing to listen on non-loopback host ${host}`);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, error);
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // DNS rebinding: a page on some other site must not reach us through a name resolving here.
    if (!isLoopbackHostHeader(request.headers.host, port)) {
      sendJson(response, 403, { error: 'forbidden host', code: 'invalid-request' });
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && allowedOrigins.has(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Vary', 'Origin');
    }
    const url = new URL(request.url ?? '/', 'http://loopback');
    const method = request.method ?? 'GET';
    if (method === 'OPTIONS' && origin !== undefined && allowedOrigins.has(origin)) {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Content-Type',
      });
      response.end();
      return;
    }
    if (url.pathname === '/api/events' && method === 'GET') {
      openEventStream(response);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (method !== 'POST') {
        sendJson(response, 405, { error: 'use POST', code: 'invalid-request' });
        return;
      }
      await callMethod(url.pathname.slice('/api/'.length), request, response);
      return;
    }
    if (url.pathname.startsWith('/photo/') && (method === 'GET' || method === 'HEAD')) {
      await servePhoto(url.pathname.slice('/photo/'.length), response, method === 'HEAD');
      return;
    }
    sendJson(response, 404, { error: 'not found', code: 'not-found' });
  }

  async function callMethod(
    name: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    if (!isAppMethodName(name)) {
      sendJson(response, 404, { error: `no such method: ${name}`, code: 'not-found' });
      return;
    }
    const body = await readJsonBody(request);
    const spec = APP_METHODS[name];
    let argument: unknown;
    if (spec.request !== null) {
      const parsed = spec.request.safeParse(body);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'request'}: ${i.message}`)
          .join('; ');
        throw new AppError('invalid-request', detail);
      }
      argument = parsed.data;
    }
    // The table guarantees `name` is a request method; its argument was just validated.
    const call = service[name] as (argument?: unknown) => Promise<unknown>;
    const result = await call(argument);
    sendJson(response, 200, result);
  }

  function openEventStream(response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    streams.add(response);
    const unsubscribe = service.subscribe((event) => response.write(sseEvent(event)));
    // Sent only after subscribing: a client that saw it knows no later event can be missed.
    response.write(sseComment('connected'));
    const heartbeat = setInterval(() => response.write(sseComment('keep-alive')), HEARTBEAT_MS);
    heartbeat.unref();
    response.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    });
  }

  async function servePhoto(
    rest: string,
    response: ServerResponse,
    headOnly: boolean,
  ): Promise<void> {
    const target = parsePhotoPath(rest);
    const file = target ? await service.photoFile(target.kind, target.photoId) : null;
    if (!file) {
      sendJson(response, 404, { error: 'no such photo', code: 'not-found' });
      return;
    }
    const stream = createReadStream(file.path);
    await new Promise<void>((resolveOpen, rejectOpen) => {
      stream.once('open', () => resolveOpen());
      stream.once('error', rejectOpen);
    }).catch(() => {
      throw new AppError('not-found', 'the photo file cannot be read');
    });
    response.writeHead(200, {
      'Content-Type': file.contentType,
      'Cache-Control': 'private, max-age=60',
      'X-Content-Type-Options': 'nosniff',
    });
    if (headOnly) {
      stream.destroy();
      response.end();
      return;
    }
    stream.pipe(response);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    close: async () => {
      for (const stream of streams) stream.end();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
    },
  };
}

function isLoopbackHostHeader(header: string | undefined, port: number): boolean {
  if (header === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header);
  if (!match) return false;
  const name = match[1]!.replace(/^\[|\]$/g, '');
  return LOOPBACK_HOSTS.has(name) && (match[2] === undefined || Number(match[2]) === port);
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AppError('invalid-request', 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('invalid-request', 'the request body is not JSON');
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: unknown): void {
  const code: AppErrorCode = error instanceof AppError ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  sendJson(response, HTTP_STATUS_OF[code], { error: message, code });
}
