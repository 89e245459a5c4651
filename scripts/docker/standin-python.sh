#!/usr/bin/env bash
# Build a local stand-in for python:3.11-slim (base images can't be pulled here): Debian
# bookworm minbase from debootstrap, Debian's Python 3.11 with pip and venv, `python` and `pip`
# on the PATH, and pip allowed to install system-wide as in the official image. The stand-in,
# never the project's Dockerfile, carries this machine's apt and pip settings so that builds
# on it reach the same mirrors. See docs/container.md.
#
#   sudo bash scripts/docker/standin-python.sh      # tags python:3.11-slim
set -euo pipefail

TAG=${TAG:-python:3.11-slim}
ROOT=$(mktemp -d /tmp/standin-python.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT

debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates \
    bookworm "$ROOT" http://deb.debian.org/debian
# This machine's package settings (mirrors, keys, pip's index and certificate).
cp -a /etc/apt/sources.list.d/. "$ROOT/etc/apt/sources.list.d/"
rm -f "$ROOT"/etc/apt/sources.list.d/*disabled* "$ROOT/etc/apt/sources.list"
cp -a /etc/apt/apt.conf.d/99artifact-registry "$ROOT/etc/apt/apt.conf.d/" 2>/dev/null || true
# The official Debian images' apt settings: no .debs or package caches kept, gzipped lists,
# no translations, no suggested packages. This machine has the same files.
cp -a /etc/apt/apt.conf.d/docker-* "$ROOT/etc/apt/apt.conf.d/"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$ROOT/etc/pip.conf"
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$ROOT" update-ca-certificates >/dev/null
# Like the official image: pip may install into the system Python, and `pip` is pip3.
rm -f "$ROOT"/usr/lib/python3.*/EXTERNALLY-MANAGED
ln -sf pip3 "$ROOT/usr/bin/pip"
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/usr/share/doc/* \
    "$ROOT"/usr/share/man/* "$ROOT"/usr/share/locale/*

tar -C "$ROOT" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change "ENV PIP_DEFAULT_TIMEOUT=180 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
    --change 'CMD ["python3"]' \
    - "$TAG"
docker image ls "$TAG"
