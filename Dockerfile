# syntax=docker/dockerfile:1
# kzmeter: the service (default command) and every other CLI command (same image: `simulate`, `ledger`, ...).
# Node runs the TypeScript sources itself with tsx's loader (`node --import tsx`, tsx is a runtime
# dependency): no build step, no npx, node is PID 1 and receives SIGTERM. Node 24 is an LTS line (until
# 2028-04); the tag is pinned to a release, so a rebuild gets the same runtime.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- deps: production node_modules from the lockfile ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime: sources + node_modules, non-root ----
FROM ${NODE_IMAGE} AS runtime
# The service's V8 heap is capped (README "Memory"); NODE_OPTIONS in the environment replaces this.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=256 \
    KZM_HTTP_HOST=0.0.0.0 \
    KZM_HTTP_PORT=8080 \
    KZM_MQTT_EMBEDDED_HOST=0.0.0.0 \
    KZM_MQTT_EMBEDDED_PORT=1883 \
    KZM_DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json package-lock.json tsconfig.json ./
COPY --chown=node:node src ./src
COPY --chown=node:node simulator ./simulator
COPY --chown=node:node devices ./devices
COPY --chown=node:node tariffs ./tariffs
COPY --chown=node:node dashboards/web ./dashboards/web
# data/ (local state) and runs/ (simulator ground truth) must be writable by the non-root user.
# data/mosquitto: the mount point of the broker-auth volume (docker-compose.yml), so a new volume starts owned by
# node and private, as broker-config leaves it.
RUN mkdir -p /app/data/mosquitto /app/runs && chown node:node /app/data /app/data/mosquitto /app/runs && chmod 700 /app/data/mosquitto
USER node
# 8883: mqtts (KZM_MQTT_TLS_*); 1883: plain MQTT, for the compose network only
EXPOSE 8080 8883 1883
# Slim images have no curl: ask /health with Node's fetch (200 = ok, 503 = degraded).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.KZM_HTTP_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Logs are JSON lines (pino-pretty, a dev dependency, is not in the image): `docker run -it` is fine too.
ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["serve"]
