import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

/** A gateway running as its own process, as in the image. */
export interface GatewayChild {
  readonly child: ChildProcess;
  readonly url: string;
  /** What it has printed so far. */
  readonly stdout: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
}

/** Runs src/main.ts as `node --import tsx` does in the image; resolves once it logs its URL. */
export function runGatewayChild(env: Record<string, string>): Promise<GatewayChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
      if (m) resolve({ child, url: m[1]!, stdout: () => stdout, exit });
    });
    void exit.then(({ code }) => reject(new Error(`gateway exited with ${code} before listening: ${stderr}${stdout}`)));
  });
}
