import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'reference_stage.py');

/** Where blip2_ref.py lives: `../shared/reference` beside the checkout unless overridden. */
export function referenceDir(): string {
  return resolve(
    process.env.SIGHTLINE_REFERENCE_DIR ?? join(HERE, '..', '..', '..', 'shared', 'reference'),
  );
}

/** Debian's python3 carries torch here; a pyenv `python3` earlier on PATH usually does not. */
export function referencePython(): string {
  if (process.env.SIGHTLINE_PYTHON) return process.env.SIGHTLINE_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export interface ReferenceVersions {
  torch: string;
  numpy: string;
  python: string;
  blas: string;
  threads: number;
}

type Reply = { ok: true } & Record<string, unknown>;

const running = new Set<ReferenceProcess>();

/** For the bench's Ctrl-C handler: stops the reference processes this bench started. */
export function killReferenceProcesses(): void {
  for (const reference of running) reference.kill();
}

/** One `reference_stage.py` process (one per stage, so its peak RSS is that stage's). */
export class ReferenceProcess {
  private readonly pending: { resolve: (line: string) => void; reject: (error: Error) => void }[] =
    [];
  private stderrTail = '';
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) =>
      this.pending.shift()?.resolve(line),
    );
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    const fail = (why: string): void => {
      this.exited = why;
      for (const waiter of this.pending.splice(0))
        waiter.reject(new Error(`${why}\n${this.stderrTail}`));
    };
    // A write after the process died surfaces through 'exit' below; don't crash on EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => fail(`could not start ${referencePython()}: ${error.message}`));
    child.on('exit', (code, signal) =>
      fail(`reference process exited (${signal ?? `code ${code}`})`),
    );
  }

  /** Starts the process; resolves to the versions, or to a reason why the reference cannot run. */
  static async start(
    threads: number,
  ): Promise<{ process: ReferenceProcess; versions: ReferenceVersions } | { skipped: string }> {
    const dir = referenceDir();
    if (!existsSync(join(dir, 'blip2_ref.py'))) {
      return { skipped: `no blip2_ref.py in ${dir} (set SIGHTLINE_REFERENCE_DIR)` };
    }
    const threadEnv = String(threads);
    const child = spawn(referencePython(), [SCRIPT, dir, threadEnv], {
      env: {
        ...process.env,
        OMP_NUM_THREADS: threadEnv,
        OPENBLAS_NUM_THREADS: threadEnv,
        MKL_NUM_THREADS: threadEnv,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const reference = new ReferenceProcess(child);
    running.add(reference);
    let hello: Record<string, unknown>;
    try {
      hello = JSON.parse(await reference.nextLine()) as Record<string, unknown>;
    } catch (error) {
      reference.kill();
      return { skipped: error instanceof Error ? error.message.trim() : String(error) };
    }
    if (hello.ready !== true) {
      reference.kill();
      return { skipped: `${referencePython()} cannot run the reference: ${String(hello.error)}` };
    }
    return { process: reference, versions: hello as unknown as ReferenceVersions };
  }

  async load(checkpointDir: string): Promise<number> {
    const reply = await this.request({ cmd: 'load', ckpt: checkpointDir });
    return reply.seconds as number;
  }

  /** Runs one forward pass; returns the milliseconds measured inside Python (forward only). */
  async run(
    fn: 'vision' | 'qformer' | 'decoder',
    inputsDir: string,
    saveDir?: string,
  ): Promise<number> {
    const reply = await this.request({ cmd: 'run', fn, inputs: inputsDir, save: saveDir ?? null });
    return reply.ms as number;
  }

  async peakRssMb(): Promise<number> {
    return (await this.request({ cmd: 'stats' })).peak_rss_mb as number;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.request({ cmd: 'quit' }).catch(() => undefined);
    this.kill();
  }

  kill(): void {
    running.delete(this);
    if (!this.exited && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private async request(command: Record<string, unknown>): Promise<Reply> {
    const line = this.nextLine();
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const reply = JSON.parse(await line) as Record<string, unknown>;
    if (reply.ok !== true)
      throw new Error(`reference ${String(command.cmd)} failed:\n${String(reply.error)}`);
    return reply as Reply;
  }

  private nextLine(): Promise<string> {
    if (this.exited) return Promise.reject(new Error(`${this.exited}\n${this.stderrTail}`));
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}
