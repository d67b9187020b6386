# syntax=docker/dockerfile:1
# SPDX-License-Identifier: MIT
#
# The vaultlet image (vaultlet-webhook, vaultlet-agent, vaultlet-certgen; no
# shell): a Debian 12 build stage, then FROM scratch with the root file
# system of scripts/image-rootfs.sh — the same script scripts/build-image.sh
# and the tests use, so the two ways of building cannot drift (the image
# config below is checked against build-image.sh's by tests/image).
#
#   docker build -t vaultlet/vaultlet:0.1.0 .
#   buildah bud --isolation chroot -t vaultlet/vaultlet:0.1.0 .
#
# VERSION (meson.build's) labels the image. DEBIAN_IMAGE names the build
# stage's base; scripts/debian-base.sh makes one
# locally (debootstrap) where no registry is reachable.
ARG DEBIAN_IMAGE=debian:12-slim
ARG VERSION=0.1.0

FROM ${DEBIAN_IMAGE} AS build
COPY scripts/lib/packages-image.txt /tmp/packages-image.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(cat /tmp/packages-image.txt) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN meson setup /build -Dbuildtype=release -Dtests=false \
 && ninja -C /build \
 && scripts/image-rootfs.sh /build /rootfs

FROM scratch
ARG VERSION
COPY --from=build /rootfs/ /
USER 65532:65532
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/usr/local/bin/vaultlet-webhook"]
CMD ["help"]
LABEL org.opencontainers.image.title="vaultlet" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="vaultlet-webhook and vaultlet-agent: a C drop-in for the Vault Agent Injector"
