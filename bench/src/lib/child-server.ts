import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';

/** A server under test in its own process, so the load generator never shares its event loop. */
export interface ChildServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The pid of the node process that serves (spawned directly, no npx or tsx CLI wrapper in between). */
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildServerOptions {
  /** What it is, for error messages, e.g. "nova-cost gateway". */
  readonly name: string;
  /** Arguments to `node` (the current executable). */
  readonly args: readonly string[];
  readonly port: number;
  /** Path answered 2xx once the server is ready. @default '/' */
  readonly readyPath?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** @default 60000 (tsx compiles the gateway on first start; the machine may be busy) */
  readonly readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();
// Last resort if the bench dies between start and the caller's finally: leave no server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** GET `url`, resolving to the status code, or to 0 if nothing answers. */
export function probe(url: string, timeoutMs = 1_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `node <args>` on loopback and waits until `readyPath` answers 2xx. */
export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const url = `http://127.0.0.1:${options.port}`;
  if (await portTaken(options.port))
    throw new Error(`${options.name}: port ${options.port} is already taken by another server`);
  const child = spawn(process.execPath, [...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitCode: number | null | undefined;
  child.once('exit', (code, signal) => {
    exitCode = code ?? (signal ? -1 : null);
    running.delete(child);
  });

  const stop = async (graceMs = 5_000): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  const readyUrl = `${url}${options.readyPath ?? '/'}`;
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`${options.name} exited (code ${exitCode}) before it answered ${readyUrl}: ${stderr.trim()}`);
    const status = await probe(readyUrl);
    if (status >= 200 && status < 300) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `${options.name} did not answer ${readyUrl} with 2xx within ${options.readyTimeoutMs ?? 60_000} ms (last status ${status}): ${stderr.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, stop };
}

/** Resident memory of a process in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}
