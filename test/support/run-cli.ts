import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** bin/sightline.js, the command exactly as users run it. */
export const SIGHTLINE_BIN = join(import.meta.dirname, '..', '..', 'bin', 'sightline.js');

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `sightline …` in a child process; a non-zero exit is returned, not thrown. */
export async function runSightline(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SIGHTLINE_BIN, ...args], {
      env,
      maxBuffer: 64 << 20,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
