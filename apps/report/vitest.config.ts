import { defineConfig } from 'vitest/config';
import { specProjects } from '../../vitest.shared';

// The browser and S3 specs start Chromium, a local S3 server and child processes.
export default defineConfig(specProjects());
