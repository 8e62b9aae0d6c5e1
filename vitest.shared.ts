import type { ViteUserConfig } from 'vitest/config';
import { configDefaults } from 'vitest/config';

/** Limits of one project's specs. */
export interface SpecProjectOptions {
  /**
   * Per-test and per-hook limit of unit specs (no socket, no process). A limit only stops a hung spec: it is set
   * far above what a spec takes on a busy machine, so load never fails one. @default 30000
   */
  readonly unitTimeoutMs?: number;
  /** The same for integration specs (`*.int.spec.ts`: real Redis, real HTTP, child processes). @default 120000 */
  readonly intTimeoutMs?: number;
  /** More paths to leave out of both projects. @default [] */
  readonly exclude?: readonly string[];
}

/**
 * Every package's Vitest config: two projects, `unit` (every `*.spec.ts` that is not `*.int.spec.ts`) and `int`
 * (`*.int.spec.ts`), so `vitest run --project unit` runs in seconds without Redis or sockets, and `vitest run` runs
 * both. Nx targets `test:unit` and `test:int` run each; `test` runs both.
 */
export function specProjects(options: SpecProjectOptions = {}): ViteUserConfig {
  const exclude = [...configDefaults.exclude, '**/cdk.out/**', ...(options.exclude ?? [])];
  const unitMs = options.unitTimeoutMs ?? 30_000;
  const intMs = options.intTimeoutMs ?? 120_000;
  return {
    test: {
      passWithNoTests: true,
      projects: [
        // expect.poll waits for a condition as long as a test may run (its default, 1 s, is a race with the clock).
        {
          extends: true,
          test: {
            name: 'unit',
            include: ['**/*.spec.ts'],
            exclude: [...exclude, '**/*.int.spec.ts'],
            testTimeout: unitMs,
            hookTimeout: unitMs,
            expect: { poll: { timeout: unitMs } },
          },
        },
        {
          extends: true,
          test: {
            name: 'int',
            include: ['**/*.int.spec.ts'],
            exclude,
            testTimeout: intMs,
            hookTimeout: intMs,
            expect: { poll: { timeout: intMs } },
          },
        },
      ],
    },
  };
}
