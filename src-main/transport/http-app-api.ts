// AppApi over the loopback HTTP server (see loopback-server.ts). Uses only fetch, streams and
// TextDecoder, so the same code runs in the renderer under a browser and in Node tests.
import { appEventSchema, type AppEventListener, type Unsubscribe } from '../shared/app-events.ts';
import { AppError, isAppErrorCode } from '../shared/app-error.ts';
import {
  APP_METHOD_NAMES,
  APP_METHODS,
  type AppApi,
  type AppMethodName,
  type AppRequestApi,
} from '../shared/contract.ts';
import { SseParser } from './sse.ts';

export interface HttpAppApiOptions {
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Wait before reconnecting a dropped event stream (default 1000 ms). */
  reconnectDelayMs?: number;
}

/**
 * An AppApi whose calls are `POST <baseUrl>/api/<method>` and whose events come from one shared
 * `GET <baseUrl>/api/events` stream, open while anyone is subscribed. Calls made after
 * `subscribe` wait until the stream is connected, so their events are never missed. Responses
 * are validated with the contract's schemas; failures reject with `AppError`.
 */
export function createHttpAppApi(baseUrl: string, options: HttpAppApiOptions = {}): AppApi {
  const root = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const events = new EventStream(`${root}/api/events`, doFetch, options.reconnectDelayMs ?? 1000);

  async function call(name: AppMethodName, request: unknown): Promise<unknown> {
    await events.connected();
    const response = await doFetch(`${root}/api/${name}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request ?? {}),
    });
    const body = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) throw errorFrom(response.status, body);
    const parsed = APP_METHODS[name].response.safeParse(body);
    if (!parsed.success) {
      throw new AppError('internal', `${name}: the server answered an unexpected shape`);
    }
    return parsed.data;
  }

  const methods = Object.fromEntries(
    APP_METHOD_NAMES.map((name) => [name, (request?: unknown) => call(name, request)]),
  ) as unknown as AppRequestApi; // each entry forwards to the schema-checked `call` above
  return { ...methods, subscribe: (listener) => events.subscribe(listener) };
}

function errorFrom(status: number, body: unknown): AppError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error, code } = body as { error: unknown; code?: unknown };
    return new AppError(
      isAppErrorCode(code) ? code : status >= 500 ? 'internal' : 'invalid-request',
      String(error),
    );
  }
  return new AppError(status >= 500 ? 'internal' : 'invalid-request', `HTTP ${status}`);
}

/** The shared event connection: opened by the first subscriber, closed after the last leaves. */
class EventStream {
  private readonly listeners = new Set<AppEventListener>();
  private abort: AbortController | null = null;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly doFetch: typeof fetch,
    private readonly reconnectDelayMs: number,
  ) {}

  subscribe(listener: AppEventListener): Unsubscribe {
    const entry: AppEventListener = (event) => listener(event);
    this.listeners.add(entry);
    if (!this.abort) this.open();
    return () => {
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Resolves once the stream is connected (at once when nobody listens; never rejects). */
  async connected(): Promise<void> {
    await this.ready?.catch(() => undefined);
  }

  private open(): void {
    const abort = new AbortController();
    this.abort = abort;
    let markReady: () => void = () => undefined;
    this.ready = new Promise<void>((resolveReady) => (markReady = resolveReady));
    void this.read(abort.signal, markReady).finally(() => {
      markReady(); // never leave callers waiting on a stream that failed
      if (this.abort === abort && !abort.signal.aborted) {
        setTimeout(() => {
          if (this.abort === abort) this.open();
        }, this.reconnectDelayMs);
      }
    });
  }

  private async read(signal: AbortSignal, markReady: () => void): Promise<void> {
    try {
      const response = await this.doFetch(this.url, {
        signal,
        headers: { Accept: 'text/event-stream' },
      });
      if (!response.ok || !response.body) return;
      const parser = new SseParser((data) => this.dispatch(data));
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        // The server's first bytes are a comment sent after it subscribed us.
        markReady();
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Aborted or dropped: open() decides whether to reconnect.
    }
  }

  private dispatch(data: string): void {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = appEventSchema.safeParse(json);
    if (!parsed.success) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(parsed.data);
      } catch (error) {
        console.error('sightline: an event listener failed', error);
      }
    }
  }

  private stop(): void {
    this.abort?.abort();
    this.abort = null;
    this.ready = null;
  }
}
