// Entry of the core's own process (an Electron utility process, or a Node `fork` in tests), so
// inference, decoding and database writes never block the shell's event loop. Reads its options
// from SIGHTLINE_SERVICE_OPTIONS, serves AppService over the parent port, and closes the service
// gracefully on `{ kind: 'shutdown' }` (or when a Node parent disconnects).
// First import on purpose: the priority must be lowered before any thread is started.
import './background-priority.ts';
import { defaultDatabasePath } from '../library/paths.ts';
import { AppService } from '../service/app-service.ts';
import { parentPort, type MessagePortLike } from './message-port.ts';
import { serveOverPort } from './port-rpc.ts';
import {
  serviceControlSchema,
  serviceOptionsFromEnv,
  type ServiceControl,
} from './service-options.ts';

function start(port: MessagePortLike): void {
  const post = (message: ServiceControl): void => port.postMessage(message);
  let service: AppService;
  try {
    const { databasePath, ...options } = serviceOptionsFromEnv();
    service = new AppService({ ...options, databasePath: databasePath ?? defaultDatabasePath() });
  } catch (error) {
    post({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
    console.error('sightline service: cannot start:', error);
    process.exitCode = 1;
    // Leave once the message is out; exiting at once could drop it.
    setTimeout(() => process.exit(1), 100);
    return;
  }
  const stopServing = serveOverPort(port, service);
  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      stopServing();
      try {
        await service.close();
        process.exit(0);
      } catch (error) {
        console.error('sightline service: close failed:', error);
        process.exit(1);
      }
    })());
  port.onMessage((message) => {
    const control = serviceControlSchema.safeParse(message);
    if (control.success && control.data.kind === 'shutdown') void shutdown();
  });
  // A Node parent that went away cannot send `shutdown`; Electron ends utility processes itself.
  process.on('disconnect', () => void shutdown());
  post({ kind: 'ready' });
}

const port = parentPort();
if (port) {
  start(port);
} else {
  console.error('sightline service: no parent port (run it as a utility process or with fork)');
  process.exitCode = 2;
}
