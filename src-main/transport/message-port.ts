// One shape for the three message channels the core is served over: the parent's handle on a
// Node child (tests), the child's side of a Node fork, and the child's side of an Electron utility
// process. Structural types only: this layer must not import Electron.
import type { ChildProcess } from 'node:child_process';

export interface MessagePortLike {
  postMessage(message: unknown): void;
  /** Returns a function that removes the listener. */
  onMessage(listener: (message: unknown) => void): () => void;
}

/** The parent's side of a child started with `fork` (needs an IPC channel). */
export function childProcessPort(child: ChildProcess): MessagePortLike {
  return {
    postMessage(message) {
      // A child that has gone cannot answer; the caller learns of it from the child's `exit`.
      if (!child.connected) return;
      // With a callback, a send that fails (disconnected meanwhile) does not emit 'error'.
      child.send(message as Parameters<ChildProcess['send']>[0], () => undefined);
    },
    onMessage(listener) {
      const handler = (message: unknown): void => listener(message);
      child.on('message', handler);
      return () => child.off('message', handler);
    },
  };
}

/** Electron's `process.parentPort` in a utility process: messages arrive as `{ data }`. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  off(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

/**
 * The child's side: Electron's parent port when running as a utility process, else Node's IPC
 * channel (`process.send`) when forked; null when started with neither.
 */
export function parentPort(): MessagePortLike | null {
  const electronPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      postMessage: (message) => electronPort.postMessage(message),
      onMessage(listener) {
        const handler = (event: { data: unknown }): void => listener(event.data);
        electronPort.on('message', handler);
        return () => electronPort.off('message', handler);
      },
    };
  }
  const send = process.send?.bind(process);
  if (!send) return null;
  return {
    postMessage(message) {
      if (process.connected) send(message, undefined, undefined, () => undefined);
    },
    onMessage(listener) {
      const handler = (message: unknown): void => listener(message);
      process.on('message', handler);
      return () => process.off('message', handler);
    },
  };
}
