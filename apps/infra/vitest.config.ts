import { configDefaults, defineConfig } from 'vitest/config';

// A CDK synth takes seconds and more on a busy machine; the default 5 s timeout would make specs flaky, not faster.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // `cdk synth` stages the whole repository (specs included) under cdk.out as the image's build context.
    exclude: [...configDefaults.exclude, '**/cdk.out/**'],
  },
});
