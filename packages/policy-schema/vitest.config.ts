import { defineConfig } from 'vitest/config';
import { specProjects } from '../../vitest.shared';

export default defineConfig(specProjects());
