import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    void exited.then(() => reject(new Error(`exited before listening: ${out}`)));
  });
  listening.catch(() => undefined); // awaited only by the tests that expect it to listen
  return { child, exited, listening, output: () => out };
}

describe('bedrock-local CLI', () => {
  it('serves on the given port until SIGTERM, then exits 0', async () => {
    const cli = run(['--port', '0', '--throttle-rate', '1']);
    const url = await cli.listening;
    const res = await fetch(`${url}/model/amazon.nova-lite-v1%3A0/converse`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(await (await fetch(`${url}/__stats`)).json()).toMatchObject({ calls: 1, faults: 1 });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 20_000);

  it('refuses a flag that is not a number, naming it', async () => {
    const cli = run(['--port', 'abc']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--port must be a number, got "abc"/);
  }, 20_000);

  it('refuses an out-of-range option with the library message', async () => {
    const cli = run(['--port', '0', '--drop-rate', '3']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/^faults.dropRate must be a number from 0 to 1, got 3$/m);
  }, 20_000);
});
