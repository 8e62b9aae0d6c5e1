import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { NovaCostError } from '@nova-cost/domain';
import { trackChild } from './process-cleanup';
import { waitForPong } from './redis-ping';

export interface RedisServerProcessOptions {
  /** Path or name (looked up on PATH) of the redis-server binary. @default process.env.REDIS_SERVER_BIN ?? 'redis-server' */
  readonly binary?: string;
  /** Extra arguments after the defaults (`--save "" --appendonly no --port P --bind 127.0.0.1`). @default [] */
  readonly args?: readonly string[];
  /** Working directory of the server (where it writes cluster config). @default the test process's cwd */
  readonly cwd?: string;
  /** How long to wait for the first PONG. @default 10000 */
  readonly startTimeoutMs?: number;
}

/** How to get a Redis when none can be started: printed in every failure of this kit. */
export const HOW_TO_GET_REDIS =
  'set REDIS_URL to a Redis dedicated to tests, install redis-server (e.g. `apt-get install redis-server`, or set REDIS_SERVER_BIN to its path), or run a Docker engine for testcontainers';

/** One redis-server child process on a fixed port, which tests can kill, freeze and start again. */
export class RedisServerProcess {
  private child: ChildProcess | undefined;
  private untrack: () => void = () => undefined;
  private paused = false;

  constructor(
    readonly port: number,
    private readonly options: RedisServerProcessOptions = {},
  ) {}

  readonly host = '127.0.0.1';

  get binary(): string {
    return this.options.binary ?? process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Spawn the server and resolve once it answers PING. Rejects with kind 'configuration' when it cannot start. */
  async start(): Promise<void> {
    if (this.child)
      throw new NovaCostError(
        'validation',
        `redis-server on port ${this.port} is already running; stop() it before start()`,
      );
    const args = [
      '--save',
      '',
      '--appendonly',
      'no',
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      ...(this.options.args ?? []),
    ];
    const child = spawn(this.binary, args, { cwd: this.options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let failure: string | undefined;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (err: NodeJS.ErrnoException) => {
      failure =
        err.code === 'ENOENT'
          ? `redis-server binary not found at '${this.binary}'`
          : `redis-server '${this.binary}' could not be spawned: ${err.message}`;
    });
    child.once('exit', (code, signal) => {
      failure ??= `redis-server exited (code ${code}, signal ${signal}) before answering PING. Output: ${output.trim()}`;
      if (this.child === child) {
        this.child = undefined;
        this.untrack();
      }
    });
    this.child = child;
    this.paused = false;
    this.untrack = trackChild(child);
    try {
      await waitForPong(this.host, this.port, this.options.startTimeoutMs ?? 10_000, () => failure);
    } catch (err) {
      await this.stop();
      throw new NovaCostError(
        'configuration',
        `could not start a test Redis on port ${this.port}: ${(err as Error).message}. To get one: ${HOW_TO_GET_REDIS}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Kill the server at once (SIGKILL, like a crash) and wait for it to be gone. No-op when not running. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
    this.paused = false;
    this.untrack();
  }

  /** Freeze the server (SIGSTOP): its socket stays open, commands just get no answer. */
  async pause(): Promise<void> {
    this.signal('SIGSTOP', 'pause');
    this.paused = true;
  }

  /** Unfreeze the server (SIGCONT). */
  async resume(): Promise<void> {
    this.signal('SIGCONT', 'resume');
    this.paused = false;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Stop, then start again on the same port with no data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private signal(signal: NodeJS.Signals, action: string): void {
    if (!this.child)
      throw new NovaCostError('validation', `cannot ${action} redis-server on port ${this.port}: it is not running`);
    this.child.kill(signal);
  }
}
