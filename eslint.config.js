// Lint for the whole workspace. The module-boundary rule is what keeps the hexagon honest:
// the domain imports nothing, adapters import only the domain, and only apps compose adapters.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-plugin-prettier';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Node's own modules by their bare names (fs, timers/promises, …), crypto aside. */
const nodeModulesButCrypto = builtinModules.filter((m) => m !== 'crypto' && !m.startsWith('_'));

const productionConstraints = [
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: [], allowedExternalImports: [] },
  { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain'] },
  // The batch-jobs adapter speaks to AWS through its own two clients and nothing else.
  {
    sourceTag: 'scope:batch-jobs',
    onlyDependOnLibsWithTags: ['type:domain'],
    allowedExternalImports: ['@aws-sdk/client-bedrock', '@aws-sdk/client-s3'],
  },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:domain', 'type:platform'] },
  // The schema of the policy document: the domain's rule types as zod, for the gateway and the report.
  { sourceTag: 'type:schema', onlyDependOnLibsWithTags: ['type:domain'], allowedExternalImports: ['zod'] },
  // Runtime helpers on Node's own modules (the HTTP listener) shared by the gateway and the local endpoint.
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:tool'] },
  {
    sourceTag: 'type:cdk',
    onlyDependOnLibsWithTags: ['type:domain'],
    allowedExternalImports: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
  },
  // The savings report reads the domain (and the local endpoint's seeded dice for its sample), S3 and a progress bar.
  {
    sourceTag: 'type:report',
    onlyDependOnLibsWithTags: ['type:domain', 'type:tool', 'type:schema'],
    allowedExternalImports: ['@aws-sdk/client-s3', 'cli-progress'],
  },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:check', onlyDependOnLibsWithTags: ['*'] },
];

// Specs may also use the shared test kit (real Redis, the local Bedrock endpoint); production code may not.
/** Packages only the specs of a project may import, beyond vitest and fast-check (cdk specs run cdk-nag on each construct). */
const specOnlyImports = {
  'type:report': ['playwright-core', 's3rver'],
  'type:cdk': ['cdk-nag'],
  'scope:batch-jobs': ['@aws-sdk/client-bedrock-runtime'],
};

const specConstraints = productionConstraints.map((c) =>
  c.sourceTag === 'type:domain'
    ? { ...c, allowedExternalImports: ['vitest', 'fast-check'] }
    : c.onlyDependOnLibsWithTags.includes('*')
      ? c
      : {
          ...c,
          onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing', 'type:tool'],
          ...(c.allowedExternalImports
            ? {
                allowedExternalImports: [
                  ...c.allowedExternalImports,
                  'vitest',
                  'vitest/*',
                  'fast-check',
                  ...(specOnlyImports[c.sourceTag] ?? []),
                ],
              }
            : {}),
        },
);

// Each project's spec helpers (src/testing: scripted invokers, the report's local S3 server) are test code too.
const specFiles = ['**/*.spec.ts', '**/*.bench.ts', '**/vitest.config.ts', '**/src/testing/**'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**', '**/.nx/**', '**/lint-fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx, prettier },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // The format check: a file prettier would change fails lint (`npx prettier --write <files>` fixes it).
      'prettier/prettier': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: true,
          depConstraints: productionConstraints,
        },
      ],
    },
  },
  {
    files: specFiles,
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, banTransitiveDependencies: true, depConstraints: specConstraints },
      ],
    },
  },
  // The domain is pure logic: of Node's own modules it may use only node:crypto (hashing is part of a request's
  // identity). Files, sockets, processes and timers belong to adapters.
  {
    files: ['packages/domain/**/*.ts'],
    ignores: specFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '!node:crypto', ...nodeModulesButCrypto, ...nodeModulesButCrypto.map((m) => `${m}/*`)],
              message: "The domain is pure logic: of Node's modules it may import only node:crypto.",
            },
          ],
        },
      ],
    },
  },
  // The gateway and the CDK app are composition roots and may import every package, but test kits only from specs; the local Bedrock
  // endpoint only where the gateway runs in its embedded mode (gateway.ts starts it in-process).
  {
    files: ['apps/gateway/**/*.ts', 'apps/infra/**/*.ts'],
    ignores: [...specFiles, 'apps/gateway/src/gateway.ts', 'apps/gateway/src/composition/async-invoke.start.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@nova-cost/testing', message: 'Test kits are for specs, not production code.' },
            {
              name: '@nova-cost/bedrock-local',
              message: 'The local Bedrock endpoint is started only by the embedded mode (apps/gateway/src/gateway.ts).',
            },
          ],
          patterns: [
            {
              group: ['@nova-cost/testing/*', '@nova-cost/bedrock-local/*'],
              message: 'Test kits and the local Bedrock endpoint are for specs and the embedded mode only.',
            },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (this file, bundling and bench helpers) is held to the same format.
  { files: ['**/*.js', '**/*.mjs'], plugins: { prettier }, rules: { 'prettier/prettier': 'error' } },
  // Test-runner configs are no code of the project: each imports the workspace's shared one (vitest.shared.ts) by path.
  { files: ['**/vitest.config.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
);
