import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Runs a bench child script (`node [nodeFlags] --import tsx <script> ...args` in bench/) and returns the JSON of
 * the last line it printed: how a section measures something in a fresh process.
 */
export async function runJsonChild<T>(
  script: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; timeoutMs: number },
): Promise<T> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', script, ...args],
    {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: options.timeoutMs,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as T;
}
