# One image for every service: the same entry points `npm start` runs, picked
# by SERVICE_ENTRY (see docker-compose.yml). Services read all settings from
# the environment (PORT, BP_URL_<SERVICE>, DYNAMODB_*), so the same image runs
# on ECS Fargate with Cloud Map names in BP_URL_*.
#
# Two stages: `build` compiles src/ to dist/ (scripts/build.mjs, esbuild; the operator
# console with Vite into dist/console, static files the API serves under /console/);
# the runtime image holds that JavaScript and the production dependencies only,
# and runs it on the image's own Node 24: no TypeScript, no loader, no compiler.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
# --ignore-scripts: the build needs esbuild's JavaScript API and its platform binary (an npm
# package of its own), nothing an install script fetches; and the optional `node` package's
# script would download a second Node 24 for nothing.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# The operator console (built by the same step into dist/console) bundles the typed client.
COPY packages/client/src packages/client/src
RUN node scripts/build.mjs

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
# --omit=optional leaves out the `node` package: the image's Node 24 runs everything.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY topology.json ./
COPY config ./config
COPY --from=build /app/dist ./dist
USER node

# The source path topology.json and docker-compose.yml name (src/X.ts, so a reader finds the
# code); the image runs its compiled file, dist/X.js, the rule `npm start` uses too.
ENV SERVICE_ENTRY=src/client/api/server.ts
# A process with a PORT is healthy while it accepts connections there; one without
# (the reconciler) while it runs.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const port = Number(process.env.PORT); if (!port) process.exit(0); require('node:net').connect(port, '127.0.0.1').once('connect', () => process.exit(0)).once('error', () => process.exit(1));"]
CMD ["sh", "-c", "entry=\"dist/${SERVICE_ENTRY#src/}\"; exec node --import ./dist/utilities/telemetry/register.js \"${entry%.ts}.js\""]
