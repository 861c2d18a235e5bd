// Runs the Sightline core (AppService) in its own process and keeps it running. The core loads
// large models and native addons; if it crashes, the window must survive, learn what happened
// (`service-state` events) and get a fresh core, without the rest of main noticing: main holds
// one `client` that forwards to whichever child is current.
//
// Electron is only a type here: the child is created by a `fork` parameter, so tests drive the
// supervisor with a fake child (crash → restart → events) under plain Node.
import type { UtilityProcess } from 'electron';
import type { ServiceHostApi } from '../service/service-host-api.ts';
import { APP_METHOD_NAMES, AppError } from '../shared/contract.ts';
import type { AppEvent, AppEventListener, Unsubscribe } from '../shared/contract.ts';
import type { MessagePortLike } from '../transport/message-port.ts';

/** One running core process, as the supervisor sees it. */
export interface ServiceChild extends MessagePortLike {
  /** Called once, when the process has gone (whatever the reason). */
  onExit(listener: (code: number) => void): void;
  kill(): void;
}

export type ForkService = () => ServiceChild;

/** What A1's `connectOverPort` returns (structurally): the core's API plus `dispose`. */
export type DisposableServiceClient = ServiceHostApi & { dispose(reason: string): void };
export type ConnectService = (port: MessagePortLike) => DisposableServiceClient;

export type ServiceState = Extract<AppEvent, { type: 'service-state' }>['state'];
/** `starting`: the first child has not said `ready` yet (calls wait for it). */
export type SupervisorState = ServiceState | 'idle' | 'starting' | 'stopped';

/** Asks the child process to close the service and exit 0 (see transport/service-process.ts). */
export const SHUTDOWN_MESSAGE = { kind: 'shutdown' } as const;

export interface ServiceSupervisorOptions {
  fork: ForkService;
  connect: ConnectService;
  /**
   * Wait before each restart in a run of quick crashes; once they are used up the supervisor
   * gives up (`failed`): a core that dies at start-up would otherwise spin forever.
   */
  restartDelaysMs?: readonly number[];
  /** A child that lived at least this long before crashing starts a fresh run of restarts. */
  quickCrashMs?: number;
  /** How long a graceful shutdown may take before the child is killed. */
  shutdownTimeoutMs?: number;
}

const DEFAULTS = {
  restartDelaysMs: [250, 1000, 4000],
  quickCrashMs: 30_000,
  shutdownTimeoutMs: 5_000,
} satisfies Required<Omit<ServiceSupervisorOptions, 'fork' | 'connect'>>;

/** Methods forwarded to the current child; `subscribe` and `close` are the supervisor's own. */
const FORWARDED_METHODS = [
  ...APP_METHOD_NAMES,
  'photoFile',
  'openFiles',
  'servingFolders',
] as const satisfies readonly Exclude<keyof ServiceHostApi, 'subscribe' | 'close'>[];

interface Running {
  child: ServiceChild;
  client: DisposableServiceClient;
  startedAt: number;
  exited: Promise<void>;
  unsubscribe: Unsubscribe;
  /** Why the child says it could not start (its `{ kind: 'failed' }` message), if it did. */
  failure: string | null;
  /** Settles when the child says `ready` (calls wait for it), rejects if it goes first. */
  ready: Promise<void>;
  markReady: () => void;
  failReady: (error: AppError) => void;
}

/** The child's control messages (see transport/service-process.ts); null for anything else. */
function controlMessage(
  message: unknown,
): { kind: 'ready' } | { kind: 'failed'; error: string } | null {
  if (typeof message !== 'object' || message === null) return null;
  const { kind, error } = message as { kind?: unknown; error?: unknown };
  if (kind === 'ready') return { kind };
  return kind === 'failed' && typeof error === 'string' ? { kind, error } : null;
}

export class ServiceSupervisor {
  /** The core's API for the rest of main; it outlives every child. `close()` stops the core. */
  readonly client: ServiceHostApi;

  private readonly options: Required<ServiceSupervisorOptions>;
  private readonly listeners = new Set<AppEventListener>();
  private current: Running | null = null;
  private stateNow: SupervisorState = 'idle';
  private quickCrashes = 0;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(options: ServiceSupervisorOptions) {
    this.options = { ...DEFAULTS, ...options };
    const forwarded = Object.fromEntries(
      FORWARDED_METHODS.map((name) => [
        name,
        (...args: unknown[]): Promise<unknown> => this.forward(name, args),
      ]),
    ) as unknown as Omit<ServiceHostApi, 'subscribe' | 'close'>;
    this.client = {
      ...forwarded,
      subscribe: (listener) => this.subscribe(listener),
      close: () => this.stop(),
    };
  }

  get state(): SupervisorState {
    return this.stateNow;
  }

  /** Starts the first child. Calls made through `client` before this reject. */
  start(): void {
    if (this.stateNow !== 'idle') throw new Error(`service already ${this.stateNow}`);
    this.launch();
  }

  /**
   * Every event of every child, plus this supervisor's `service-state` events, until the returned
   * function is called.
   */
  subscribe(listener: AppEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Graceful stop: the child closes the service (background work, models, database) and exits;
   * if it has not exited after `shutdownTimeoutMs` it is killed. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.stateNow = 'stopped';
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const running = this.current;
    if (running === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs);
    });
    running.child.postMessage(SHUTDOWN_MESSAGE);
    const outcome = await Promise.race([running.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') running.child.kill();
    this.retire(running, 'Sightline is shutting down');
  }

  private launch(): void {
    const child = this.options.fork();
    const client = this.options.connect(child);
    let markExited = (): void => undefined;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    let markReady = (): void => undefined;
    let failReady: (error: AppError) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Calls waiting on a child that dies reject through `forward`; nobody else awaits this.
    ready.catch(() => undefined);
    const running: Running = {
      child,
      client,
      startedAt: Date.now(),
      exited,
      unsubscribe: client.subscribe((event) => this.emit(event)),
      failure: null,
      ready,
      markReady,
      failReady,
    };
    const isRestart = this.stateNow === 'restarting';
    this.current = running;
    if (!isRestart) this.stateNow = 'starting';
    const stopWatching = child.onMessage((message) => {
      const control = controlMessage(message);
      if (control?.kind === 'failed') running.failure = control.error;
      if (control?.kind !== 'ready' || this.current !== running) return;
      running.markReady();
      if (this.stateNow === 'stopped') return;
      this.stateNow = 'running';
      if (isRestart) this.emitState('running', null);
    });
    void exited.then(stopWatching);
    child.onExit((code) => {
      markExited();
      this.onChildExit(running, code);
    });
  }

  private onChildExit(running: Running, code: number): void {
    // A child replaced or stopped on purpose is none of our business any more.
    if (this.current !== running || this.stateNow === 'stopped') return;
    const detail =
      running.failure === null
        ? `the core process exited with code ${code}`
        : `the core could not start: ${running.failure}`;
    this.retire(running, `The Sightline core stopped unexpectedly (${detail}).`);
    const livedMs = Date.now() - running.startedAt;
    this.quickCrashes = livedMs < this.options.quickCrashMs ? this.quickCrashes + 1 : 1;
    const delay = this.options.restartDelaysMs[this.quickCrashes - 1];
    if (delay === undefined) {
      this.stateNow = 'failed';
      this.emitState('failed', `${detail}; it crashed ${this.quickCrashes} times in a row`);
      return;
    }
    this.stateNow = 'restarting';
    this.emitState('restarting', detail);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.launch();
    }, delay);
  }

  /** Calls in flight on this child (or waiting for it) reject now; its events stop. */
  private retire(running: Running, reason: string): void {
    running.failReady(new AppError('internal', reason));
    running.unsubscribe();
    running.client.dispose(reason);
    if (this.current === running) this.current = null;
  }

  private forward(name: (typeof FORWARDED_METHODS)[number], args: unknown[]): Promise<unknown> {
    const running = this.current;
    if (running === null) {
      return Promise.reject(new AppError('internal', this.unavailableReason()));
    }
    // Called as a method of the client, so it keeps its `this`.
    const client = running.client as unknown as Record<
      typeof name,
      (...callArgs: unknown[]) => Promise<unknown>
    >;
    return running.ready.then(() => client[name](...args));
  }

  private unavailableReason(): string {
    switch (this.stateNow) {
      case 'idle':
      case 'starting':
        return 'The Sightline core has not started yet.';
      case 'restarting':
        return 'The Sightline core is restarting; try again in a moment.';
      case 'failed':
        return 'The Sightline core could not be restarted; restart Sightline.';
      default:
        return 'The Sightline core has stopped.';
    }
  }

  private emitState(state: ServiceState, detail: string | null): void {
    this.emit({ type: 'service-state', state, detail });
  }

  private emit(event: AppEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('sightline: an event listener failed:', error);
      }
    }
  }
}

/** Adapts Electron's utility process to what the supervisor and A1's `connectOverPort` use. */
export function utilityProcessChild(child: UtilityProcess): ServiceChild {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  return {
    postMessage: (message) => {
      // After exit there is nobody to post to; the supervisor learns of it from `exit`. (Before
      // `spawn`, Electron queues the message itself.)
      if (!exited) child.postMessage(message);
    },
    onMessage(listener) {
      const handler = (message: unknown): void => listener(message);
      child.on('message', handler);
      return () => {
        child.off('message', handler);
      };
    },
    onExit(listener) {
      child.once('exit', listener);
    },
    kill: () => {
      child.kill();
    },
  };
}
