import { defineConfig } from 'vitest/config';

// The browser and S3 specs start Chromium, a local S3 server and child processes; a busy 2-core machine needs headroom.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
