# syntax=docker/dockerfile:1
# voc-engine image: `docker build -t voc-engine .` (see docs/operations.md, "Docker").
# The Vosk model is NOT in the image: mount it (or an empty volume for the first-start download)
# at /app/models.

# The vosk package ships libvosk for linux-x86_64 only: on an arm64 host build and run it as amd64
# (`docker build --platform linux/amd64 ...`; compose sets `platform: linux/amd64`).

# ---- build: compile TypeScript with the full toolchain, then keep production dependencies only ----
FROM node:20-bookworm AS build
WORKDIR /app
# No native build: koffi is prebuilt; `npm ci`'s postinstall (scripts/libvosk.mjs) puts the vosk
# package's libvosk.so into node_modules/.libvosk/.
COPY package.json package-lock.json ./
COPY scripts/libvosk.mjs ./scripts/libvosk.mjs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts/build-console.mjs ./scripts/build-console.mjs
RUN npm run build && npm prune --omit=dev

# ---- runtime: slim Node, non-root ----
FROM node:20-bookworm-slim AS runtime
# A container is reached through its published ports, so it listens on every interface (the engine
# still warns at start while auth.apiKeys is empty).
ENV NODE_ENV=production \
    VOC_HOST=0.0.0.0 \
    VOC_GRPC_HOST=0.0.0.0 \
    VOC_MODEL_PATH=/app/models/vosk-model-small-en-us-0.15
WORKDIR /app
# package.json marks dist/ as ES modules; config/ holds the default config and rule files that
# config/voc.yaml names relative to /app; protos/ is read by the gRPC server at start.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
COPY protos ./protos
RUN chmod 0755 dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/voc \
 && mkdir -p /app/models /app/spool \
 && chown node:node /app/models /app/spool
# The image's `node` user (uid 1000); it owns only the model directory (first-start download, the
# model's .voc-verified stamp) and the summary spool (redis.spool.dir, relative to /app).
USER node
VOLUME ["/app/models", "/app/spool"]
# 8080: WebSocket ingest, /metrics, /healthz, /readyz. 50051: gRPC ingest and grpc.health.v1.
EXPOSE 8080 50051
# Liveness only (the process answers HTTP); orchestrators should route traffic on /readyz. The slim
# image has no curl: Node's own fetch does the GET.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.VOC_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["voc", "serve"]
