import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const BOUNDARY_RULE = '@nx/enforce-module-boundaries';

async function boundaryErrors(file: string): Promise<string[]> {
  // The fixtures are ignored by the everyday lint; here they are linted on purpose.
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [result] = await eslint.lintFiles([file]);
  return (result?.messages ?? []).filter((m) => m.ruleId === BOUNDARY_RULE).map((m) => m.message);
}

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
});
