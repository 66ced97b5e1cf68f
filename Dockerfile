# One image for every process of the platform: each service, the reconciler and any other
# job (the catalog sync) is an entry of this image, run as `npm start` runs it:
# OpenTelemetry first, then the compiled entry (scripts/run-entry.mjs).
#
#   docker run IMAGE src/access/catalog/server.ts             a service, named as topology.json names it
#   docker run IMAGE src/client/reconciler/main.ts --once     a job, with its arguments
#   docker run IMAGE dist/client/sync/main.js --all           any compiled entry under dist/
#
# Settings come from the environment only (PORT, BP_URL_<SERVICE>, DYNAMODB_*, <NAME>_SECRET_ID …):
# docker-compose.yml injects them here, ECS task definitions (infra/) in AWS.
#
# Three stages: `deps` installs the production dependencies, `build` compiles src/ to dist/
# (scripts/build.mjs: esbuild for the services, Vite for the operator console into dist/console,
# static files the API serves under /console/), and `runtime` holds only those two results on Node 24:
# no TypeScript, no compiler, no dev dependencies, no npm.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --workspaces=false: the typed client (packages/client) is a product for Vården, not part of
# any service. --omit=optional leaves out the `node` package: the image's own Node 24 runs
# everything. --ignore-scripts: no production dependency needs an install script.
RUN npm ci --omit=dev --omit=optional --workspaces=false --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
# Optional dependencies stay: esbuild's platform binary is one. --ignore-scripts: the optional
# `node` package's script would only download a second Node 24. The typed client's workspace is
# installed here: the operator console bundles it (its openapi-fetch included).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build-console.mjs ./scripts/
COPY src ./src
COPY packages/client/src packages/client/src
# The services to dist/ (esbuild), the operator console to dist/console/ (Vite).
RUN node scripts/build.mjs

FROM ${NODE_IMAGE} AS runtime
# npm, npx and corepack are not needed to run anything here; one less thing to patch.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
WORKDIR /app
# NODE_ENV=production makes the services refuse demo or missing secrets (docker-compose.yml,
# which runs the demo settings, says development). HOST: in a container a service must listen
# on every interface to be reachable; locally it stays on 127.0.0.1.
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json topology.json ./
COPY config ./config
COPY scripts/run-entry.mjs ./scripts/
USER node

# A process with a PORT is healthy while it accepts connections there (the gRPC services speak
# h2c, so a TCP connect is the check that fits all of them); one without (a job) while it runs.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const port = Number(process.env.PORT); if (!port) process.exit(0); require('node:net').connect(port, '127.0.0.1').once('connect', () => process.exit(0)).once('error', () => process.exit(1));"]
ENTRYPOINT ["node", "scripts/run-entry.mjs"]
CMD ["src/client/api/server.ts"]
