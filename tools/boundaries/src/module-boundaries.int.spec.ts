import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const BOUNDARY_RULE = '@nx/enforce-module-boundaries';

const IMPORT_RULE = 'no-restricted-imports';

async function lintErrors(file: string, rule: string): Promise<string[]> {
  // The fixtures are ignored by the everyday lint; here they are linted on purpose.
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [result] = await eslint.lintFiles([file]);
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
}

const boundaryErrors = (file: string): Promise<string[]> => lintErrors(file, BOUNDARY_RULE);

describe('module boundaries', () => {
  beforeAll(() => {
    // The rule reads Nx's project graph; make sure it is computed (no daemon, no cloud).
    execFileSync('npx', ['nx', 'show', 'projects'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      stdio: 'ignore',
    });
  }, 60_000);

  it('fail lint when the domain imports a third-party runtime package', async () => {
    expect(await boundaryErrors('packages/domain/lint-fixtures/forbidden-import.ts')).toContain(
      'A project tagged with "type:domain" is not allowed to import "ioredis"',
    );
  });

  it('fail lint when the domain imports an adapter', async () => {
    const errors = await boundaryErrors('packages/domain/lint-fixtures/imports-adapter.ts');
    expect(
      errors.some((m) => m.includes('A project tagged with "type:domain" cannot depend on any libs with tags')),
    ).toBe(true);
  });

  it('fail lint when an adapter imports another adapter', async () => {
    const errors = await boundaryErrors('packages/caching/lint-fixtures/imports-another-adapter.ts');
    expect(
      errors.some((m) =>
        m.includes('A project tagged with "type:adapter" can only depend on libs tagged with "type:domain"'),
      ),
    ).toBe(true);
  });

  it('fail lint when the cdk package imports a third-party package other than aws-cdk-lib and constructs', async () => {
    expect(await boundaryErrors('packages/cdk/lint-fixtures/forbidden-import.ts')).toContain(
      'A project tagged with "type:cdk" is not allowed to import "ioredis"',
    );
  });

  it('fail lint when the savings report imports an adapter', async () => {
    const errors = await boundaryErrors('apps/report/lint-fixtures/imports-adapter.ts');
    expect(
      errors.some((m) =>
        m.includes(
          'A project tagged with "type:report" can only depend on libs tagged with "type:domain", "type:tool"',
        ),
      ),
    ).toBe(true);
  });

  it('pass lint when an adapter imports the domain', async () => {
    expect(await boundaryErrors('packages/caching/lint-fixtures/imports-domain.ts')).toEqual([]);
  });

  it('fail lint when the domain imports a Node module other than node:crypto, by either name', async () => {
    expect(await lintErrors('packages/domain/lint-fixtures/node-io-import.ts', IMPORT_RULE)).toEqual([
      expect.stringContaining("'node:fs' import is restricted"),
      expect.stringContaining("'timers/promises' import is restricted"),
    ]);
  });

  it('pass lint when the domain hashes with node:crypto', async () => {
    expect(await lintErrors('packages/domain/lint-fixtures/node-crypto-import.ts', IMPORT_RULE)).toEqual([]);
  });

  it('fail lint when gateway production code imports the test kit or the local endpoint', async () => {
    const errors = await lintErrors('apps/gateway/lint-fixtures/imports-testing.ts', IMPORT_RULE);
    expect(errors).toEqual([
      expect.stringContaining("'@nova-cost/testing' import is restricted"),
      expect.stringContaining("'@nova-cost/bedrock-local' import is restricted"),
      expect.stringContaining("'@nova-cost/testing/src/free-port' import is restricted"),
    ]);
  });
});
