#!/usr/bin/env bash
# Build the upstream oracles from the Go module proxy into a cache dir (never into the repo):
#   $OUT/bin/crossplane                     the `crossplane` CLI (render)
#   $OUT/bin/crossplane-core                Crossplane core (render's --crossplane-binary)
#   $OUT/bin/function-patch-and-transform   upstream P&T, serves with --insecure --address=...
#   $OUT/bin/function-auto-ready            upstream auto-ready
#   $OUT/bin/trellis-go-oracle              our own Go test helper (test/infra/crossplane/oracle):
#                                           Go fmt and text/template+sprig as the oracle for the
#                                           TypeScript re-implementations
#   $OUT/crds                               Crossplane's CRD YAMLs for `core init`
# Idempotent: each binary is built only when missing. Go >= 1.26 (GOTOOLCHAIN=local).
#
# Module versions: the module proxy reachable here serves only some versions. P&T v0.10.8 is
# refused ("not available"), v0.10.7 is served; function-go-templating, function-environment-
# configs and function-sequencer are refused at every version tried, so those three have no
# upstream binary and are checked against upstream behaviour by unit tests and (go-templating)
# by the text/template+sprig oracle. `go install m@v` also fails here because the proxy refuses
# the version list it reads for deprecation notices; a throw-away wrapper module avoids that.
set -euo pipefail
XP_CORE_VERSION="${XP_CORE_VERSION:-v2.3.4}"     # github.com/crossplane/crossplane/v2 (has `internal render`)
XP_CLI_VERSION="${XP_CLI_VERSION:-v2.5.0}"       # github.com/crossplane/cli/v2 (the `crossplane` CLI, ex-crank)
PAT_VERSION="${PAT_VERSION:-v0.10.7}"            # github.com/crossplane-contrib/function-patch-and-transform
AUTO_READY_VERSION="${AUTO_READY_VERSION:-v0.6.7}" # github.com/crossplane-contrib/function-auto-ready
CACHE_ROOT="${CACHE_ROOT:-${TRELLIS_CACHE:-$HOME/.cache/trellis}}"
OUT="${OUT:-$CACHE_ROOT/crossplane-$XP_CORE_VERSION}"
HERE="$(cd "$(dirname "$0")" && pwd)"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod"
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomod}" GOCACHE="${GOCACHE:-$CACHE_ROOT/gobuild}"
mkdir -p "$OUT/bin"
# Crossplane reads its own version from this variable (package crossplane.version constraints
# fail to evaluate when it is empty); upstream nix/build.nix sets it the same way.
XPV=github.com/crossplane/crossplane-runtime/v2/pkg/version.version

WORKDIRS=()
cleanup() { for d in "${WORKDIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

# build_tool OUT_NAME PACKAGE VERSION_MODULE@VERSION [extra go get args...] -- [ldflags]
# Builds PACKAGE from a throw-away wrapper module that requires the module at that version.
build_tool() {
  local name="$1" pkg="$2" modver="$3" ldflags="$4"; shift 4
  [ -x "$OUT/bin/$name" ] && return 0
  local work; work="$(mktemp -d)"; WORKDIRS+=("$work")
  echo "build: $name from $modver"
  ( cd "$work"
    go mod init local/build-"$name" >/dev/null 2>&1
    go get "$modver" "$@"
    go build -trimpath -ldflags "-s -w $ldflags" -o "$OUT/bin/$name.tmp" "$pkg"
    mv "$OUT/bin/$name.tmp" "$OUT/bin/$name" )
}

build_tool crossplane github.com/crossplane/cli/v2/cmd/crossplane "github.com/crossplane/cli/v2@$XP_CLI_VERSION" "-X $XPV=$XP_CLI_VERSION"
build_tool function-patch-and-transform github.com/crossplane-contrib/function-patch-and-transform "github.com/crossplane-contrib/function-patch-and-transform@$PAT_VERSION" ""
# function-auto-ready is served under github.com/crossplane-contrib/... but its go.mod declares
# github.com/crossplane/function-auto-ready (a path the proxy refuses), so it cannot be required
# by a wrapper; build the downloaded module as the main module from a writable copy instead.
if [ ! -x "$OUT/bin/function-auto-ready" ]; then
  echo "build: function-auto-ready $AUTO_READY_VERSION"
  dir="$(go mod download -json "github.com/crossplane-contrib/function-auto-ready@$AUTO_READY_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  work="$(mktemp -d)"; WORKDIRS+=("$work")
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"
  ( cd "$work" && go build -trimpath -ldflags "-s -w" -o "$OUT/bin/function-auto-ready.tmp" . && mv "$OUT/bin/function-auto-ready.tmp" "$OUT/bin/function-auto-ready" )
fi
# Core: its go.mod has `replace .../apis/v2 => ./apis`; pin the apis module explicitly (tag
# apis/v2.3.4 is the same commit as v2.3.4).
build_tool crossplane-core github.com/crossplane/crossplane/v2/cmd/crossplane "github.com/crossplane/crossplane/v2@$XP_CORE_VERSION" "-X $XPV=$XP_CORE_VERSION" "github.com/crossplane/crossplane/apis/v2@$XP_CORE_VERSION"
if [ ! -d "$OUT/crds" ]; then
  # CRDs ship inside the module zip (cluster/crds); `core init --crds-path` needs them
  dir="$(go mod download -json "github.com/crossplane/crossplane/v2@$XP_CORE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  cp -r "$dir/cluster/crds" "$OUT/crds.tmp" && chmod -R u+w "$OUT/crds.tmp" && mv "$OUT/crds.tmp" "$OUT/crds"
fi
# Our own oracle helper (source in this repo; its only dependency is sprig from the proxy).
ORACLE_SUM="$(cat "$HERE"/oracle/*.go "$HERE"/oracle/go.mod | sha256sum | cut -c1-12)"
if [ ! -x "$OUT/bin/trellis-go-oracle-$ORACLE_SUM" ]; then
  echo "build: trellis-go-oracle ($ORACLE_SUM)"
  ( cd "$HERE/oracle" && go build -trimpath -o "$OUT/bin/trellis-go-oracle-$ORACLE_SUM" . )
  ln -sf "trellis-go-oracle-$ORACLE_SUM" "$OUT/bin/trellis-go-oracle"
fi
ls -la "$OUT/bin"
