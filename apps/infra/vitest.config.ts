import { defineConfig } from 'vitest/config';
import { specProjects } from '../../vitest.shared';

// A CDK synth takes seconds, and more on a busy machine; `cdk synth` stages the whole repository (specs included)
// under cdk.out as the image's build context, which the shared config leaves out.
export default defineConfig(specProjects({ unitTimeoutMs: 120_000, intTimeoutMs: 300_000 }));
