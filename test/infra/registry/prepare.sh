#!/usr/bin/env bash
# Unpack Debian's docker-registry (distribution 2.8) into the Trellis cache if it is missing.
# The package is downloaded and unpacked with dpkg -x, not installed: no service user, no init
# script, nothing listening until a test starts it with its own config.
# Output: $CACHE_ROOT/registry/bin/docker-registry
set -euo pipefail
CACHE_ROOT="${CACHE_ROOT:-${TRELLIS_CACHE:-$HOME/.cache/trellis}}"
OUT="$CACHE_ROOT/registry"
BIN="$OUT/bin/docker-registry"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "registry: $("$BIN" --version 2>/dev/null | head -1) (cached)"
  exit 0
fi
if command -v docker-registry >/dev/null 2>&1; then
  mkdir -p "$OUT/bin" && ln -sf "$(command -v docker-registry)" "$BIN"
  echo "registry: using $(command -v docker-registry)"
  exit 0
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
if ! apt-get download docker-registry >/dev/null 2>&1; then
  apt-get update >/dev/null
  apt-get download docker-registry
fi
dpkg -x docker-registry_*.deb root
mkdir -p "$OUT/bin"
cp root/usr/bin/docker-registry "$BIN"
chmod +x "$BIN"
"$BIN" --version
