// One origin for the browser: the built renderer's files, plus `/api/*` and `/photo/*` passed
// through to the core's loopback server. The loopback server has no static-file route, so this
// thin front serves the page and forwards everything else byte for byte (SSE included).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface SameOriginServer {
  url: string;
  close(): Promise<void>;
}

export async function startSameOriginServer(
  staticDir: string,
  backendUrl: string,
): Promise<SameOriginServer> {
  const backend = new URL(backendUrl);
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://front').pathname;
    if (path.startsWith('/api/') || path.startsWith('/photo/')) forward(request, response);
    // Browsers ask for a favicon on their own; Electron does not, and the app ships none.
    else if (path === '/favicon.ico') response.writeHead(204).end();
    else serveStatic(path, response);
  });

  function forward(request: IncomingMessage, response: ServerResponse): void {
    const upstream = httpRequest(
      {
        host: backend.hostname,
        port: backend.port,
        method: request.method,
        path: request.url,
        // The backend refuses any Host that is not its own (DNS-rebinding guard).
        headers: { ...request.headers, host: backend.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  }

  function serveStatic(path: string, response: ServerResponse): void {
    const file = normalize(join(staticDir, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(staticDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(response);
  }

  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
