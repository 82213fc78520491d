#!/usr/bin/env bash
# Build trellis-render-oracle (our own Go test helper in this directory; its dependencies are
# upstream Crossplane's public Go packages from the Go module proxy) into the cache dir, never
# into the repo. Idempotent: rebuilt only when its source changes. Go >= 1.25 (GOTOOLCHAIN=local).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE_ROOT="${CACHE_ROOT:-${TRELLIS_CACHE:-$HOME/.cache/trellis}}"
OUT="${OUT:-$CACHE_ROOT/render-oracle}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod"
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomod}" GOCACHE="${GOCACHE:-$CACHE_ROOT/gobuild}"
SUM="$(cat "$HERE"/*.go "$HERE"/go.mod "$HERE"/go.sum | sha256sum | cut -c1-12)"
BIN="$OUT/bin/trellis-render-oracle-$SUM"
if [ ! -x "$BIN" ]; then
  if ! command -v go >/dev/null; then
    echo "render-oracle: go is not installed; cannot build $BIN" >&2
    exit 1
  fi
  mkdir -p "$OUT/bin"
  echo "build: trellis-render-oracle ($SUM)"
  ( cd "$HERE" && go build -trimpath -ldflags "-s -w" -o "$BIN.tmp" . && mv "$BIN.tmp" "$BIN" )
fi
ln -sfn "$(basename "$BIN")" "$OUT/bin/trellis-render-oracle"
