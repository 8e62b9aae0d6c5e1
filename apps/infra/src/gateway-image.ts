import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** The repository root: the Docker build context of the gateway image. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Left out of the build context: installed deps, VCS data and anything a build or synth wrote. */
export const CONTEXT_EXCLUDES = [
  '**/node_modules',
  '.git',
  '.nx',
  '**/cdk.out',
  '**/dist',
  '**/coverage',
  '**/*.log',
  'bench/results',
];

/**
 * The gateway image, built from the repository by `cdk deploy`. Synth only copies the context into the cloud
 * assembly (no Docker needed); the build happens when assets are published.
 */
export function gatewayImageFromRepo(): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(REPO_ROOT, {
    file: 'apps/infra/docker/gateway.Dockerfile',
    exclude: CONTEXT_EXCLUDES,
    // The task definition runs X86_64; build for it even on an arm64 workstation.
    platform: Platform.LINUX_AMD64,
  });
}
