import { EventEmitter } from 'node:events';
import type { UtilityProcess } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SHUTDOWN_MESSAGE,
  ServiceSupervisor,
  utilityProcessChild,
  type DisposableServiceClient,
  type ServiceChild,
} from '../../../src-main/app/service-host.ts';
import { APP_METHOD_NAMES, AppError } from '../../../src-main/shared/contract.ts';
import type { AppEvent, AppEventListener } from '../../../src-main/shared/contract.ts';

class FakeChild implements ServiceChild {
  readonly posted: unknown[] = [];
  killed = false;
  private exitListeners: ((code: number) => void)[] = [];
  private messageListeners = new Set<(message: unknown) => void>();

  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  onMessage(listener: (message: unknown) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }
  send(message: unknown): void {
    for (const listener of this.messageListeners) listener(message);
  }
  onExit(listener: (code: number) => void): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    this.killed = true;
    this.exit(null);
  }
  exit(code: number | null): void {
    for (const listener of this.exitListeners) listener(code ?? -1);
    this.exitListeners = [];
  }
}

/** Stands in for A1's port client: calls stay pending until answered or disposed. */
class FakeClient {
  readonly calls: { method: string; args: unknown[]; answer: (value: unknown) => void }[] = [];
  disposedWith: string | null = null;
  private readonly rejects = new Set<(error: Error) => void>();
  private listener: AppEventListener | null = null;
  readonly api: DisposableServiceClient;

  constructor() {
    const call =
      (method: string) =>
      (...args: unknown[]): Promise<unknown> => {
        if (this.disposedWith !== null) {
          return Promise.reject(new AppError('internal', this.disposedWith));
        }
        return new Promise((resolve, reject) => {
          this.rejects.add(reject);
          this.calls.push({ method, args, answer: resolve });
        });
      };
    const methods = [...APP_METHOD_NAMES, 'photoFile', 'openFiles', 'servingFolders', 'close'];
    this.api = {
      ...Object.fromEntries(methods.map((method) => [method, call(method)])),
      subscribe: (listener: AppEventListener) => {
        this.listener = listener;
        return () => {
          this.listener = null;
        };
      },
      dispose: (reason: string) => {
        this.disposedWith = reason;
        for (const reject of this.rejects) reject(new AppError('internal', reason));
      },
    } as unknown as DisposableServiceClient;
  }

  emit(event: AppEvent): void {
    this.listener?.(event);
  }
}

const progress: AppEvent = {
  type: 'library-changed',
  reason: 'roots',
  photoIds: null,
};

let children: FakeChild[];
let clients: FakeClient[];
let supervisor: ServiceSupervisor;
let events: AppEvent[];

function child(index: number): FakeChild {
  const found = children[index];
  if (found === undefined) throw new Error(`child ${index} was never forked`);
  return found;
}
function client(index: number): FakeClient {
  const found = clients[index];
  if (found === undefined) throw new Error(`client ${index} was never connected`);
  return found;
}
const stateEvents = (): AppEvent[] => events.filter((event) => event.type === 'service-state');
const READY = { kind: 'ready' };
/** Lets pending promise callbacks run (no timers involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  children = [];
  clients = [];
  events = [];
  supervisor = new ServiceSupervisor({
    fork: () => {
      const forked = new FakeChild();
      children.push(forked);
      return forked;
    },
    connect: (port) => {
      expect(port).toBe(children.at(-1));
      const connected = new FakeClient();
      clients.push(connected);
      return connected.api;
    },
    restartDelaysMs: [100, 1000],
    quickCrashMs: 10_000,
    shutdownTimeoutMs: 2_000,
  });
  supervisor.subscribe((event) => events.push(event));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ServiceSupervisor: calls and events', () => {
  it('refuses calls before the core is started', async () => {
    await expect(supervisor.client.listRoots()).rejects.toThrow(/not started/);
    expect(children).toHaveLength(0);
  });

  it('holds calls until the child is ready, then forwards them with their arguments', async () => {
    supervisor.start();
    expect(supervisor.state).toBe('starting');
    const photo = supervisor.client.photoFile('thumbnail', 7);
    const roots = supervisor.client.listRoots();
    await settle();
    expect(client(0).calls).toEqual([]);
    child(0).send(READY);
    expect(supervisor.state).toBe('running');
    await settle();
    expect(client(0).calls.map(({ method, args }) => [method, args])).toEqual([
      ['photoFile', ['thumbnail', 7]],
      ['listRoots', []],
    ]);
    client(0).calls[0]!.answer({ path: '/t/7.jpg', contentType: 'image/jpeg' });
    client(0).calls[1]!.answer([]);
    await expect(photo).resolves.toEqual({ path: '/t/7.jpg', contentType: 'image/jpeg' });
    await expect(roots).resolves.toEqual([]);
  });

  it('passes the core events on until a listener unsubscribes', () => {
    supervisor.start();
    const late: AppEvent[] = [];
    const unsubscribe = supervisor.client.subscribe((event) => late.push(event));
    client(0).emit(progress);
    unsubscribe();
    client(0).emit(progress);
    expect(events).toEqual([progress, progress]);
    expect(late).toEqual([progress]);
  });
});

describe('ServiceSupervisor: crashes', () => {
  it('rejects calls waiting for a child that dies before it is ready', async () => {
    supervisor.start();
    const waiting = supervisor.client.listRoots();
    child(0).exit(1);
    await expect(waiting).rejects.toMatchObject({ code: 'internal' });
    expect(client(0).calls).toEqual([]);
  });

  it('rejects calls in flight, announces the restart, and comes back on a new child', async () => {
    supervisor.start();
    child(0).send(READY);
    const inFlight = supervisor.client.getIndexingStatus();
    await settle();
    expect(client(0).calls).toHaveLength(1);
    child(0).exit(134);

    await expect(inFlight).rejects.toMatchObject({ code: 'internal' });
    expect(client(0).disposedWith).toMatch(/unexpectedly.*134/);
    expect(stateEvents()).toMatchObject([{ type: 'service-state', state: 'restarting' }]);
    expect(JSON.stringify(stateEvents())).toMatch(/exited with code 134/);
    expect(supervisor.state).toBe('restarting');
    await expect(supervisor.client.listRoots()).rejects.toThrow(/restarting/);

    vi.advanceTimersByTime(99);
    expect(children).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(children).toHaveLength(2);
    // Back only once the new child says so.
    expect(stateEvents()).toHaveLength(1);
    const answer = supervisor.client.listTags();
    child(1).send(READY);
    expect(stateEvents().at(-1)).toEqual({ type: 'service-state', state: 'running', detail: null });
    expect(supervisor.state).toBe('running');

    await settle();
    expect(client(1).calls.map(({ method }) => method)).toEqual(['listTags']);
    client(1).calls[0]!.answer([{ tag: 'cat', count: 1, sources: ['user'] }]);
    await expect(answer).resolves.toHaveLength(1);
  });

  it('stops passing on events of a dead child, and passes on those of its successor', () => {
    supervisor.start();
    child(0).exit(1);
    client(0).emit(progress);
    vi.advanceTimersByTime(100);
    client(1).emit(progress);
    expect(events.filter((event) => event.type === 'library-changed')).toEqual([progress]);
  });

  it('gives up after a run of quick crashes, waiting longer before each restart', async () => {
    supervisor.start();
    child(0).send(READY);
    child(0).exit(1);
    vi.advanceTimersByTime(100);
    child(1).send(READY);
    child(1).exit(1);
    vi.advanceTimersByTime(999);
    expect(children).toHaveLength(2);
    vi.advanceTimersByTime(1);
    child(2).send(READY);
    child(2).exit(1);
    vi.runAllTimers();

    expect(children).toHaveLength(3);
    expect(supervisor.state).toBe('failed');
    expect(stateEvents().map((event) => event.type === 'service-state' && event.state)).toEqual([
      'restarting',
      'running',
      'restarting',
      'running',
      'failed',
    ]);
    await expect(supervisor.client.listRoots()).rejects.toThrow(/could not be restarted/);
  });

  it('reports why a child could not start', () => {
    supervisor.start();
    child(0).send({ kind: 'failed', error: 'SIGHTLINE_SERVICE_OPTIONS is invalid' });
    child(0).exit(1);
    expect(stateEvents()).toEqual([
      {
        type: 'service-state',
        state: 'restarting',
        detail: 'the core could not start: SIGHTLINE_SERVICE_OPTIONS is invalid',
      },
    ]);
  });

  it('counts afresh when the child had been running for a while', () => {
    supervisor.start();
    for (let crash = 0; crash < 5; crash += 1) {
      children.at(-1)!.send(READY);
      vi.advanceTimersByTime(10_000);
      children.at(-1)!.exit(1);
      vi.runAllTimers();
    }
    children.at(-1)!.send(READY);
    expect(children).toHaveLength(6);
    expect(supervisor.state).toBe('running');
  });
});

describe('ServiceSupervisor: stop', () => {
  it('asks the child to shut down and waits for it to exit; no restart follows', async () => {
    supervisor.start();
    child(0).send(READY);
    const inFlight = supervisor.client.listRoots();
    let stopped = false;
    const stopping = supervisor.client.close().then(() => {
      stopped = true;
    });
    expect(child(0).posted).toEqual([SHUTDOWN_MESSAGE]);
    await Promise.resolve();
    expect(stopped).toBe(false);

    child(0).exit(0);
    await stopping;
    expect(child(0).killed).toBe(false);
    await expect(inFlight).rejects.toMatchObject({ code: 'internal' });
    vi.runAllTimers();
    expect(children).toHaveLength(1);
    expect(stateEvents()).toEqual([]);
    expect(supervisor.stop()).toBe(supervisor.stop());
  });

  it('kills a child that does not exit in time', async () => {
    supervisor.start();
    const stopping = supervisor.stop();
    vi.advanceTimersByTime(2_000);
    await stopping;
    expect(child(0).killed).toBe(true);
    expect(children).toHaveLength(1);
  });

  it('cancels a pending restart', async () => {
    supervisor.start();
    child(0).exit(1);
    await supervisor.stop();
    vi.runAllTimers();
    expect(children).toHaveLength(1);
    await expect(supervisor.client.listRoots()).rejects.toThrow(/stopped/);
  });
});

describe('utilityProcessChild', () => {
  function fakeUtilityProcess(): EventEmitter & { sent: unknown[]; kills: number } {
    const emitter = Object.assign(new EventEmitter(), {
      sent: [] as unknown[],
      kills: 0,
      postMessage(message: unknown) {
        emitter.sent.push(message);
      },
      kill() {
        emitter.kills += 1;
        return true;
      },
    });
    return emitter;
  }

  it('adapts messages, exit and kill, and stops posting once the process is gone', () => {
    const process = fakeUtilityProcess();
    const adapted = utilityProcessChild(process as unknown as UtilityProcess);
    const received: unknown[] = [];
    const stopListening = adapted.onMessage((message) => received.push(message));
    const exits: number[] = [];
    adapted.onExit((code) => exits.push(code));

    adapted.postMessage({ id: 1 });
    process.emit('message', { id: 1, result: 'ok' });
    stopListening();
    process.emit('message', { id: 2 });
    adapted.kill();
    process.emit('exit', 9);
    adapted.postMessage({ id: 3 });

    expect(process.sent).toEqual([{ id: 1 }]);
    expect(received).toEqual([{ id: 1, result: 'ok' }]);
    expect(exits).toEqual([9]);
    expect(process.kills).toBe(1);
  });
});
