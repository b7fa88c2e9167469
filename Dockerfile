# syntax=docker/dockerfile:1
# Image of inference-extension-crds: the CLI with `serve` as the default
# command. Build with: docker build -t inference-extension-crds:0.1.0 .
#
# The runtime stage is distroless Node.js 24: it contains Node.js and its
# libraries but no shell or package manager, which leaves little to exploit
# or to patch, and its nonroot user has UID 65532, the UID the Helm chart
# runs as. Node's major release here must match "engines" and the "node"
# dev dependency in package.json (test/deploy/dockerfile.test.ts checks it).

# Compiles the TypeScript and copies the CRD bundle into dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-bundle.ts scripts/
COPY src/ src/
RUN npm run build

# Production dependencies only, so the "node" dev dependency, a whole Node.js
# binary, stays out. No production dependency has an install script
# (package-lock.json marks none with hasInstallScript).
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# /app is read-only for the nonroot user, so generated certificates go to
# /tmp unless --cert-dir says otherwise, as it does in the Helm chart.
ENV INFERENCE_CRDS_CERT_DIR=/tmp/inference-extension-crds/certs
# package.json marks dist/ as ES modules and gives the CLI its version.
COPY package.json ./
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 65532:65532
EXPOSE 9443
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
CMD ["serve"]
