# One image for every service: the same entry points `npm start` runs, picked
# by SERVICE_ENTRY (see docker-compose.yml). Services read all settings from
# the environment (PORT, BP_URL_<SERVICE>, DYNAMODB_*), so the same image runs
# on ECS Fargate with Cloud Map names in BP_URL_*.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json topology.json ./
COPY config ./config
COPY src ./src
USER node
ENV SERVICE_ENTRY=src/client/api/server.ts
CMD ["sh", "-c", "exec node --import tsx --import ./src/utilities/telemetry/register.ts \"$SERVICE_ENTRY\""]
