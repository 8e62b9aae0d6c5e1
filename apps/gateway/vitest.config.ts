import { defineConfig } from 'vitest/config';

// End-to-end specs start gateways, Redis servers and child processes; a busy 2-core machine needs headroom.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
