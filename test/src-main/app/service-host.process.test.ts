// The supervisor around the real core process: Node's `fork` of service-process.ts stands in for
// Electron's utility process (same entry, same messages), with A1's real port client.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceSupervisor, type ServiceChild } from '../../../src-main/app/service-host.ts';
import type { AppEvent } from '../../../src-main/shared/contract.ts';
import { childProcessPort } from '../../../src-main/transport/message-port.ts';
import { connectOverPort } from '../../../src-main/transport/port-rpc.ts';
import { SERVICE_OPTIONS_ENV } from '../../../src-main/transport/service-options.ts';
import { SERVICE_ENTRY } from '../../e2e/service-child.ts';

const VERSION = 'supervised-test';
let root: string;
const processes: ChildProcess[] = [];
const exits: (number | null)[] = [];
let supervisor: ServiceSupervisor;
const events: AppEvent[] = [];

function forkCore(): ServiceChild {
  const child = fork(SERVICE_ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      [SERVICE_OPTIONS_ENV]: JSON.stringify({
        version: VERSION,
        databasePath: path.join(root, 'library.db'),
        modelsDir: path.join(root, 'models'),
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  processes.push(child);
  child.once('exit', (code) => exits.push(code));
  return {
    ...childProcessPort(child),
    onExit: (listener) => {
      child.once('exit', (code) => listener(code ?? -1));
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

function nextServiceState(state: string): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = supervisor.subscribe((event) => {
      if (event.type === 'service-state' && event.state === state) {
        unsubscribe();
        resolve();
      }
    });
  });
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'sightline-supervised-'));
  supervisor = new ServiceSupervisor({
    fork: forkCore,
    connect: connectOverPort,
    restartDelaysMs: [10],
    shutdownTimeoutMs: 20_000,
  });
  supervisor.subscribe((event) => events.push(event));
});

afterAll(async () => {
  await supervisor.stop();
  for (const child of processes) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('ServiceSupervisor with the real core process', () => {
  it('answers once the core is up, survives a crash, and shuts the core down cleanly', async () => {
    supervisor.start();
    await expect(supervisor.client.getVersion()).resolves.toBe(VERSION);
    const folders = await supervisor.client.servingFolders();
    expect(folders.libraryRoots).toEqual([]);

    const back = nextServiceState('running');
    processes[0]!.kill('SIGKILL');
    await back;
    expect(events.filter((event) => event.type === 'service-state').map((e) => e.state)).toEqual([
      'restarting',
      'running',
    ]);
    expect(processes).toHaveLength(2);
    await expect(supervisor.client.getVersion()).resolves.toBe(VERSION);

    await supervisor.stop();
    expect(exits).toEqual([null, 0]);
  }, 60_000);
});
