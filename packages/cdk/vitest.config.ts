import { defineConfig } from 'vitest/config';
import { specProjects } from '../../vitest.shared';

// A CDK synth takes seconds, and more on a busy machine.
export default defineConfig(specProjects({ unitTimeoutMs: 120_000 }));
