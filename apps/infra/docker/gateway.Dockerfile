# The gateway image, built from the repository root (the CDK asset context, already stripped of node_modules,
# .git and build output by the asset's `exclude` list):
#   docker build -f apps/infra/docker/gateway.Dockerfile .
# No build step: the workspace runs TypeScript through tsx, so the image carries sources and their dependencies.
FROM public.ecr.aws/docker/library/node:20-slim

WORKDIR /app
# The whole workspace, so package-lock.json matches every workspace manifest and `npm ci` stays reproducible.
COPY . .
RUN npm ci --ignore-scripts && npm cache clean --force

ENV NODE_ENV=production \
    PORT=8080
USER node
EXPOSE 8080
# SIGTERM goes straight to node (no npm wrapper), so the gateway drains within the task's stopTimeout.
CMD ["node", "--import", "tsx", "apps/gateway/src/main.ts"]
