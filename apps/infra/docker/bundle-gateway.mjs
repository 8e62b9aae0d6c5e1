// Bundles the gateway (its sources, the sibling workspaces it imports and every npm dependency) into one ESM file
// that plain `node` runs: the runtime image then needs neither node_modules, nor tsx, nor the TypeScript sources.
// Beside it, body-analysis.worker.mjs: the script of the thread that walks large request bodies, which the gateway
// looks for next to its own file. Used by gateway.Dockerfile and by the infra spec that starts the bundle, so both
// run the same build.
//   node apps/infra/docker/bundle-gateway.mjs <outfile>
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outfile = process.argv[2];
if (!outfile) {
  process.stderr.write('usage: node apps/infra/docker/bundle-gateway.mjs <outfile>\n');
  process.exit(2);
}
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const bundles = [
  ['apps/gateway/src/main.ts', path.resolve(outfile)],
  [
    'apps/gateway/src/http/body-analysis.worker.ts',
    path.join(path.dirname(path.resolve(outfile)), 'body-analysis.worker.mjs'),
  ],
];
for (const [entry, out] of bundles)
  await build({
    entryPoints: [path.join(repoRoot, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    // The oldest Node.js the project supports: the image runs Node 24, and the spec also starts the bundle on the
    // developers' Node 20.
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    // Bundled CommonJS dependencies (ioredis, pino, the AWS SDK) call `require`, which ESM output lacks.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
