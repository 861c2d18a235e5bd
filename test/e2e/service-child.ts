// Starts the core in its own Node process, the way Electron main starts its utility process:
// fork the real entry (through tsx, since it is TypeScript), wait for `ready`, talk over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { childProcessPort } from '../../src-main/transport/message-port.ts';
import { connectOverPort, type ServiceClient } from '../../src-main/transport/port-rpc.ts';
import {
  SERVICE_OPTIONS_ENV,
  serviceControlSchema,
  type ServiceProcessOptions,
} from '../../src-main/transport/service-options.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const SERVICE_ENTRY = join(REPO_ROOT, 'src-main', 'transport', 'service-process.ts');
/** How long a graceful shutdown may take before the child is killed. */
const SHUTDOWN_GRACE_MS = 15_000;

export interface ServiceChild {
  process: ChildProcess;
  client: ServiceClient;
  /** Settles when the child has exited, with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Asks the child to close the service, and waits for it to exit (killing it if it hangs). */
  shutdown(): Promise<void>;
}

export async function forkServiceProcess(options: ServiceProcessOptions): Promise<ServiceChild> {
  const child = fork(SERVICE_ENTRY, [], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SERVICE_OPTIONS_ENV]: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = childProcessPort(child);
  const client = connectOverPort(port);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => {
      client.dispose(`the service process exited (${signal ?? `code ${code}`})`);
      done({ code, signal });
    }),
  );
  await new Promise<void>((ready, fail) => {
    const stopListening = port.onMessage((message) => {
      const control = serviceControlSchema.safeParse(message);
      if (!control.success) return;
      stopListening();
      if (control.data.kind === 'ready') ready();
      else if (control.data.kind === 'failed') fail(new Error(control.data.error));
    });
    void exited.then(({ code, signal }) =>
      fail(new Error(`the service process exited before it was ready (${signal ?? code})`)),
    );
  });
  let shuttingDown: Promise<void> | null = null;
  return {
    process: child,
    client,
    exited,
    shutdown: () =>
      (shuttingDown ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        port.postMessage({ kind: 'shutdown' });
        const killer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_GRACE_MS);
        await exited;
        clearTimeout(killer);
      })()),
  };
}
