#!/usr/bin/env bash
# Build Crossplane core, the Crossplane CLI and function-patch-and-transform from
# the Go module proxy (Go >= 1.26). Output: $OUT/bin/{crossplane (CLI), crossplane-core,
# function-patch-and-transform}; plus $OUT/crds -> Crossplane's CRD YAMLs for `core init`.
set -euo pipefail
XP_CORE_VERSION="${XP_CORE_VERSION:-v2.3.4}"     # github.com/crossplane/crossplane/v2 (has `internal render`)
XP_CLI_VERSION="${XP_CLI_VERSION:-v2.5.0}"       # github.com/crossplane/cli/v2 (the `crossplane` CLI, ex-crank)
PAT_VERSION="${PAT_VERSION:-v0.10.8}"            # github.com/crossplane-contrib/function-patch-and-transform
CACHE_ROOT="${CACHE_ROOT:-${TRELLIS_CACHE:-$HOME/.cache/trellis}}"
OUT="${OUT:-$CACHE_ROOT/crossplane-$XP_CORE_VERSION}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod"
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomod}" GOCACHE="${GOCACHE:-$CACHE_ROOT/gobuild}"
mkdir -p "$OUT/bin"
export GOBIN="$OUT/bin"
# Crossplane reads its own version from this variable (package crossplane.version constraints
# fail to evaluate when it is empty); upstream nix/build.nix sets it the same way.
XPV=github.com/crossplane/crossplane-runtime/v2/pkg/version.version

# 1) modules without replace directives: plain `go install pkg@version` works
[ -x "$OUT/bin/crossplane" ] || go install -trimpath -ldflags "-s -w -X $XPV=$XP_CLI_VERSION" "github.com/crossplane/cli/v2/cmd/crossplane@$XP_CLI_VERSION"
[ -x "$OUT/bin/function-patch-and-transform" ] || go install -trimpath -ldflags "-s -w" "github.com/crossplane-contrib/function-patch-and-transform@$PAT_VERSION"

# 2) core: its go.mod has `replace github.com/crossplane/crossplane/apis/v2 => ./apis`, so
#    `go install .../cmd/crossplane@v2.3.x` is refused. Wrapper module + explicit apis version
#    (tag apis/v2.3.4 is the same commit as v2.3.4).
if [ ! -x "$OUT/bin/crossplane-core" ]; then
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
  cd "$WORK"
  go mod init local/xp-core-build
  go get "github.com/crossplane/crossplane/v2/cmd/crossplane@$XP_CORE_VERSION" "github.com/crossplane/crossplane/apis/v2@$XP_CORE_VERSION"
  go mod edit -tool=github.com/crossplane/crossplane/v2/cmd/crossplane
  go build -trimpath -ldflags "-s -w -X $XPV=$XP_CORE_VERSION" -o "$OUT/bin/crossplane-core" github.com/crossplane/crossplane/v2/cmd/crossplane
  # CRDs ship inside the module zip (cluster/crds); `core init --crds-path` needs them
  rm -rf "$OUT/crds"; cp -r "$(go list -m -f '{{.Dir}}' github.com/crossplane/crossplane/v2)/cluster/crds" "$OUT/crds"
  chmod -R u+w "$OUT/crds"
fi
ls -la "$OUT/bin"
"$OUT/bin/crossplane" version --client 2>/dev/null || "$OUT/bin/crossplane" --help | head -3
"$OUT/bin/crossplane-core" --version || true
