// The core's API over a message port (Electron utility process or Node fork): calls carry an id,
// answers carry it back, events flow one way. Both ends validate what they receive, since a port
// joins two processes and neither should trust the other's shapes blindly.
import { z } from 'zod';
import { appEventSchema, type AppEvent, type AppEventListener } from '../shared/app-events.ts';
import { AppError, APP_ERROR_CODES } from '../shared/app-error.ts';
import {
  APP_METHOD_NAMES,
  APP_METHODS,
  isAppMethodName,
  openedFileSchema,
  photoIdSchema,
  type AppRequestApi,
} from '../shared/contract.ts';
import { PHOTO_FILE_KINDS } from '../shared/photo-urls.ts';
import type { ServiceHostApi } from '../service/service-host-api.ts';
import type { MessagePortLike } from './message-port.ts';

/** Methods only the shell may call: their argument lists and answers. */
const HOST_METHODS = {
  photoFile: {
    args: z.tuple([z.enum(PHOTO_FILE_KINDS), photoIdSchema]),
    response: z.object({ path: z.string(), contentType: z.string() }).nullable(),
  },
  openFiles: {
    args: z.union([
      z.tuple([z.array(z.string().min(1).max(4096))]),
      z.tuple([z.array(z.string().min(1).max(4096)), z.object({ announce: z.boolean() })]),
    ]),
    response: z.array(openedFileSchema),
  },
  servingFolders: {
    args: z.tuple([]),
    response: z.object({ libraryRoots: z.array(z.string()), thumbnailDir: z.string() }),
  },
  close: {
    args: z.tuple([]),
    // Nothing comes back (JSON serialisation may drop the field altogether).
    response: z.unknown().transform(() => undefined),
  },
} as const;
type HostMethodName = keyof typeof HOST_METHODS;
const HOST_METHOD_NAMES = Object.keys(HOST_METHODS) as HostMethodName[];
const isHostMethodName = (name: string): name is HostMethodName =>
  Object.hasOwn(HOST_METHODS, name);

const callIdSchema = z.number().int().nonnegative();
const callMessageSchema = z.object({
  kind: z.literal('call'),
  id: callIdSchema,
  method: z.string(),
  args: z.array(z.unknown()),
});
const replyMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), id: callIdSchema, value: z.unknown() }),
  z.object({
    kind: z.literal('error'),
    id: callIdSchema,
    error: z.string(),
    code: z.enum(APP_ERROR_CODES),
  }),
  z.object({ kind: z.literal('event'), event: z.unknown() }),
]);

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Answers calls arriving on `port` with `service` and forwards every service event. Messages of
 * any other shape are ignored (the port may carry the shell's own control messages). Returns a
 * function that stops serving.
 */
export function serveOverPort(port: MessagePortLike, service: ServiceHostApi): () => void {
  const unsubscribe = service.subscribe((event) => port.postMessage({ kind: 'event', event }));
  const removeListener = port.onMessage((message) => {
    const call = callMessageSchema.safeParse(message);
    if (!call.success) return;
    const { id, method, args } = call.data;
    // `then` also turns a synchronous throw of the method into a rejection that gets answered.
    Promise.resolve()
      .then(() => invoke(service, method, args))
      .then(
        (value) => port.postMessage({ kind: 'result', id, value }),
        (error: unknown) => port.postMessage({ kind: 'error', id, ...errorBody(error) }),
      );
  });
  return () => {
    unsubscribe();
    removeListener();
  };
}

function invoke(service: ServiceHostApi, method: string, args: unknown[]): Promise<unknown> {
  if (isAppMethodName(method)) {
    const schema = APP_METHODS[method].request;
    if (schema === null) return (service[method] as Method).call(service);
    const parsed = schema.safeParse(args[0]);
    if (!parsed.success) throw new AppError('invalid-request', issuesText(parsed.error));
    return (service[method] as Method).call(service, parsed.data);
  }
  if (isHostMethodName(method)) {
    const parsed = HOST_METHODS[method].args.safeParse(args);
    if (!parsed.success) throw new AppError('invalid-request', issuesText(parsed.error));
    return (service[method] as Method).apply(service, parsed.data);
  }
  throw new AppError('not-found', `no such method: ${method}`);
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
}

function errorBody(error: unknown): { error: string; code: AppError['code'] } {
  return {
    error: error instanceof Error ? error.message : String(error),
    code: error instanceof AppError ? error.code : 'internal',
  };
}

export interface ServiceClient extends ServiceHostApi {
  /** Rejects every call in flight (and later ones) with AppError('internal', reason). */
  dispose(reason: string): void;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: AppError): void;
  response: z.ZodType;
  method: string;
}

/** The shell's side: a ServiceHostApi whose calls travel over `port`. */
export function connectOverPort(port: MessagePortLike): ServiceClient {
  const pending = new Map<number, PendingCall>();
  const listeners = new Set<AppEventListener>();
  let nextId = 0;
  let disposedReason: string | null = null;

  const removeListener = port.onMessage((message) => {
    const reply = replyMessageSchema.safeParse(message);
    if (!reply.success) return;
    if (reply.data.kind === 'event') {
      const event = appEventSchema.safeParse(reply.data.event);
      if (event.success) deliver(event.data);
      return;
    }
    const call = pending.get(reply.data.id);
    if (!call) return;
    pending.delete(reply.data.id);
    if (reply.data.kind === 'error') {
      call.reject(new AppError(reply.data.code, reply.data.error));
      return;
    }
    const value = call.response.safeParse(reply.data.value);
    if (value.success) call.resolve(value.data);
    else
      call.reject(
        new AppError('internal', `${call.method}: the service answered an unexpected shape`),
      );
  });

  function deliver(event: AppEvent): void {
    // A copy: a listener may unsubscribe (or subscribe another) while being called.
    for (const listener of [...listeners]) listener(event);
  }

  function call(method: string, response: z.ZodType, args: unknown[]): Promise<unknown> {
    if (disposedReason !== null) return Promise.reject(new AppError('internal', disposedReason));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, response, method });
      port.postMessage({ kind: 'call', id, method, args });
    });
  }

  const appMethods = Object.fromEntries(
    APP_METHOD_NAMES.map((name) => [
      name,
      (request?: unknown) =>
        call(name, APP_METHODS[name].response, APP_METHODS[name].request ? [request] : []),
    ]),
  ) as unknown as AppRequestApi; // each entry forwards to `call`, whose answer is schema-checked
  const hostMethods = Object.fromEntries(
    HOST_METHOD_NAMES.map((name) => [
      name,
      (...args: unknown[]) => call(name, HOST_METHODS[name].response, args),
    ]),
  ) as unknown as Omit<ServiceHostApi, keyof AppRequestApi | 'subscribe'>; // same

  return {
    ...appMethods,
    ...hostMethods,
    subscribe(listener) {
      const entry: AppEventListener = (event) => listener(event);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    dispose(reason) {
      if (disposedReason !== null) return;
      disposedReason = reason;
      removeListener();
      listeners.clear();
      const calls = [...pending.values()];
      pending.clear();
      for (const inFlight of calls) inFlight.reject(new AppError('internal', reason));
    },
  };
}
