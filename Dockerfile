# syntax=docker/dockerfile:1
#
# One image per msisync service, all from this file:
#
#   docker build --build-arg SERVICE=identity -t msisync-identity .
#
# SERVICE is one of identity, account, person, opportunity, scoring, orchestrator (the
# directory services/<SERVICE>/cmd/<SERVICE>). docker-compose.yml builds all six, the
# Dynamics connector (SERVICE=dynamics, PACKAGE=./connectors/dynamics/cmd/dynamics) and the
# all-in-one binary for its one-shot `certs` job (SERVICE=certs,
# PACKAGE=./suite/cmd/msisync). The image holds the binary at /usr/local/bin/service and
# grpc_health_probe for healthchecks; settings come from MSISYNC_* environment variables
# (see the README).

# --- build -------------------------------------------------------------------------------
FROM golang:1.26 AS build
WORKDIR /src
# The whole workspace (go.work) is copied: every service builds against the local gen/ and
# platform/ modules. .dockerignore keeps data, binaries and .git out.
COPY . .
ARG SERVICE
# PACKAGE is the command to build; the Dynamics connector sets it to
# ./connectors/dynamics/cmd/dynamics (SERVICE=dynamics).
ARG PACKAGE=./services/${SERVICE}/cmd/${SERVICE}
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service>" >&2; exit 1; }
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -o /out/service ${PACKAGE}
# go install names the binary after the module: grpc-health-probe.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOBIN=/out go install github.com/grpc-ecosystem/grpc-health-probe@v0.4.62

# --- run ---------------------------------------------------------------------------------
# alpine: small, and its busybox wget serves the gateway's healthcheck.
FROM alpine:3.20
ARG SERVICE
RUN apk add --no-cache ca-certificates tzdata \
    && addgroup -S -g 10001 msisync \
    && adduser -S -D -H -u 10001 -G msisync msisync \
    && mkdir -p /data /certs && chown msisync:msisync /data /certs
COPY --from=build /out/service /usr/local/bin/service
COPY --from=build /out/grpc-health-probe /usr/local/bin/grpc_health_probe
# SQLite files go to /data when no MSISYNC_DATABASE_URL is set (mount a volume there).
# docker-compose.yml mounts the internal-TLS certificates at /certs; a fresh volume takes the
# directory's owner from the image, so the certs job can write there.
ENV MSISYNC_DATA_DIR=/data
WORKDIR /data
USER 10001:10001
LABEL org.opencontainers.image.title="msisync-${SERVICE}"
ENTRYPOINT ["/usr/local/bin/service"]
