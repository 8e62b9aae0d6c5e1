import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Children and temp dirs still alive when the test process exits (a crashed suite, a forgotten close()).
// 'exit' handlers must be synchronous, so children get SIGKILL and dirs a sync rm.
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Kill this child when the test process exits, unless it was released before. */
export function trackChild(child: ChildProcess): () => void {
  install();
  children.add(child);
  return () => children.delete(child);
}

/** Remove this directory when the test process exits, unless it was released before. */
export function trackDir(dir: string): () => void {
  install();
  dirs.add(dir);
  return () => dirs.delete(dir);
}
