import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * `node --import tsx main.ts | head -n 2`, as a shell runs it: the gateway's stdout is a real pipe whose reader exits
 * after two lines (the second one carries the URL). The shell reports on stderr the gateway's pid, head's exit, and
 * once the gateway ends its exit status.
 */
function gatewayPipedToHead() {
  const shell = spawn(
    '/bin/sh',
    [
      '-c',
      '(node --import tsx "$0" & pid=$!; echo "pid $pid" >&2; wait $pid; echo "exit $?" >&2) | (head -n 2; echo "head exited" >&2)',
      MAIN,
    ],
    { env: { PATH: process.env['PATH'] ?? '', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  shell.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  shell.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const ended = new Promise<string>((resolve) => shell.on('exit', () => resolve(stderr)));
  const started = new Promise<{ pid: number; url: string }>((resolve, reject) => {
    const check = (): void => {
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout)?.[1];
      const pid = /^pid (\d+)$/m.exec(stderr)?.[1];
      if (url && pid && /^head exited$/m.test(stderr)) resolve({ pid: Number(pid), url });
    };
    shell.stdout.on('data', check);
    shell.stderr.on('data', check);
    void ended.then(() => reject(new Error(`the gateway did not start: ${stderr}${stdout}`)));
  });
  return { started, ended };
}

/** Gateways started here, killed after each spec should one still run (a failed spec must not leave it behind). */
const pids: number[] = [];
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('the gateway process', () => {
  describe('having its stdout closed by the reader (`npm start | head -2`)', () => {
    // The limit only guards against a hang: the logger's exit hook used to retry its write to the closed pipe for ever.
    it('stops on SIGTERM all the same and exits 0', { timeout: 120_000 }, async () => {
      const { started, ended } = gatewayPipedToHead();
      // head has printed its two lines and exited (its stdout ended): the pipe has no reader any more.
      // No request first: with no connection to wait for, the whole stop runs before the event loop turns again, so
      // the write of its log lines to the closed pipe has not failed yet when the process exits.
      const { pid } = await started;
      pids.push(pid);
      process.kill(pid, 'SIGTERM');
      expect(await ended).toMatch(/^exit 0$/m);
    });
  });
});
