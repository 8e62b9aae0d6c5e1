import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Chart.js's minified browser build, inlined into the report so it opens without a network. Its package exports
 * only module entry points, so the UMD file is found beside the resolved main file.
 */
export function chartLibrarySource(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}
