import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CheckpointPart } from './checkpoint-tensors.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/**
 * The PyTorch sides: `hf` times Hugging Face transformers' own modules in the bench venv
 * (`npm run bench:setup`); `reference` is the pure-torch reference on Debian's torch, the
 * fallback when the venv is missing.
 */
export type BaselineKind = 'hf' | 'reference';
/** How the HF side holds its weights: fp32, bf16 weights, or torch's dynamic int8 Linear. */
export type BaselineVariant = 'fp32' | 'bf16' | 'int8-dynamic';

export interface Baseline {
  kind: BaselineKind;
  variant: BaselineVariant;
}

export const baselineName = (b: Baseline): string =>
  b.kind === 'hf' ? `HF ${b.variant}` : 'reference fp32';

/** Where blip2_ref.py lives: `../shared/reference` beside the checkout unless overridden. */
export function referenceDir(): string {
  return resolve(process.env.SIGHTLINE_REFERENCE_DIR ?? join(ROOT, '..', 'shared', 'reference'));
}

/** Debian's python3 carries torch 1.13; a pyenv `python3` earlier on PATH usually does not. */
export function referencePython(): string {
  if (process.env.SIGHTLINE_PYTHON) return process.env.SIGHTLINE_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** The bench venv's python: SIGHTLINE_BENCH_PYTHON, else `.venv-bench` in the checkout. */
export function benchPython(): string {
  return process.env.SIGHTLINE_BENCH_PYTHON ?? join(ROOT, '.venv-bench', 'bin', 'python');
}

export interface BaselineHello {
  torch: string;
  transformers?: string;
  numpy: string;
  python: string;
  /** Which BLAS torch runs its matrix products on (see bench_common.py). */
  blas: string;
  reference_blas: boolean;
  threads: number;
}

type Reply = { ok: true } & Record<string, unknown>;

const running = new Set<BaselineProcess>();

/** For the bench's Ctrl-C handler: stops the PyTorch processes this bench started. */
export function killBaselineProcesses(): void {
  for (const process of running) process.kill();
}

/** One PyTorch process (one per stage and variant, so its peak RSS is that pair's). */
export class BaselineProcess {
  private readonly pending: { resolve: (line: string) => void; reject: (error: Error) => void }[] =
    [];
  private stderrTail = '';
  private exited: string | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly kind: BaselineKind,
  ) {
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
    child.on('error', (error) => fail(`could not start ${kind} python: ${error.message}`));
    child.on('exit', (code, signal) =>
      fail(`${kind} process exited (${signal ?? `code ${code}`})`),
    );
  }

  /** Starts the process; resolves to its versions, or to a reason why this side cannot run. */
  static async start(
    kind: BaselineKind,
    threads: number,
  ): Promise<{ process: BaselineProcess; hello: BaselineHello } | { skipped: string }> {
    const threadEnv = String(threads);
    let python: string;
    let args: string[];
    if (kind === 'hf') {
      python = benchPython();
      if (!existsSync(python))
        return {
          skipped: `no bench venv at ${python} (run npm run bench:setup, or set SIGHTLINE_BENCH_PYTHON)`,
        };
      args = [join(HERE, 'hf_stage.py'), threadEnv];
    } else {
      const dir = referenceDir();
      if (!existsSync(join(dir, 'blip2_ref.py')))
        return { skipped: `no blip2_ref.py in ${dir} (set SIGHTLINE_REFERENCE_DIR)` };
      python = referencePython();
      args = [join(HERE, 'reference_stage.py'), dir, threadEnv];
    }
    const child = spawn(python, args, {
      env: {
        ...process.env,
        OMP_NUM_THREADS: threadEnv,
        OPENBLAS_NUM_THREADS: threadEnv,
        MKL_NUM_THREADS: threadEnv,
        HF_HUB_OFFLINE: '1',
        TRANSFORMERS_VERBOSITY: 'error',
        PYTHONWARNINGS: 'ignore',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const started = new BaselineProcess(child, kind);
    running.add(started);
    let hello: Record<string, unknown>;
    try {
      hello = JSON.parse(await started.nextLine()) as Record<string, unknown>;
    } catch (error) {
      started.kill();
      return { skipped: error instanceof Error ? error.message.trim() : String(error) };
    }
    if (hello.ready !== true) {
      started.kill();
      return { skipped: `${python} cannot run the ${kind} side: ${String(hello.error)}` };
    }
    return { process: started, hello: hello as unknown as BaselineHello };
  }

  async load(
    checkpointDir: string,
    part: CheckpointPart,
    variant: BaselineVariant,
  ): Promise<number> {
    const reply = await this.request({ cmd: 'load', ckpt: checkpointDir, part, variant });
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

  /** torch's read bandwidth over an array of `bytes` (bytes per second). */
  async readBandwidth(bytes: number): Promise<number> {
    return (await this.request({ cmd: 'bandwidth', bytes })).bytes_per_second as number;
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
      throw new Error(`${this.kind} ${String(command.cmd)} failed:\n${String(reply.error)}`);
    return reply as Reply;
  }

  private nextLine(): Promise<string> {
    if (this.exited) return Promise.reject(new Error(`${this.exited}\n${this.stderrTail}`));
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}
