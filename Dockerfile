# One image recipe for every process: SERVICE_DIR picks the workspace (services/auth, gateway...).
# Built by docker compose; runs the tsup bundle with the workspace's dependencies.
# Only what a build needs is copied (manifests, then the workspaces' sources); .dockerignore keeps
# every .env file (and keys) out of the context, so no secret can be baked into a layer.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@10.34.9
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json tsup.config.ts turbo.json ./
COPY packages ./packages
COPY services ./services
COPY gateway ./gateway
RUN pnpm install --frozen-lockfile
ARG SERVICE_DIR
RUN cd "$SERVICE_DIR" && pnpm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
ARG SERVICE_DIR
ENV SERVICE_DIR=${SERVICE_DIR}
USER node
CMD ["sh", "-c", "cd \"$SERVICE_DIR\" && exec node dist/main.js"]
