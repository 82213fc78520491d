#!/usr/bin/env bash
# Build kube-apiserver + kube-controller-manager (+ optional kubectl) and etcd
# from the Go module proxy. Needs: Go >= 1.26 (GOTOOLCHAIN=local), a reachable
# GOPROXY. Nothing from GitHub. Output: $OUT/bin/{kube-apiserver,kube-controller-manager,etcd[,kubectl]}
#
#   K8S_VERSION=v1.36.3 ETCD_VERSION=v3.6.14 OUT=$HOME/.cache/k8s-fixture/v1.36.3 ./build-k8s-binaries.sh
#
# Re-running with the same OUT is a no-op (binaries are cached by version).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.14}"
WITH_KUBECTL="${WITH_KUBECTL:-0}"
CACHE_ROOT="${CACHE_ROOT:-${TRELLIS_CACHE:-$HOME/.cache/trellis}}"
OUT="${OUT:-$CACHE_ROOT/$K8S_VERSION}"

# v1.36.3 -> v0.36.3 (every staging module is tagged v0.<minor>.<patch> for a release)
STAGING_VERSION="v0.${K8S_VERSION#v1.}"
K8S_MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"

export GOTOOLCHAIN=local          # never try to download another toolchain
export CGO_ENABLED=0              # static binaries, like the upstream release builds
export GOFLAGS="-mod=mod"         # let go build add missing go.sum lines
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/gomod}"   # persist these two between runs
export GOCACHE="${GOCACHE:-$CACHE_ROOT/gobuild}"

mkdir -p "$OUT/bin"
need=()
[ -x "$OUT/bin/kube-apiserver" ] || need+=(k8s)
[ -x "$OUT/bin/kube-controller-manager" ] || need+=(k8s)
[ "$WITH_KUBECTL" = 1 ] && { [ -x "$OUT/bin/kubectl" ] || need+=(k8s); }
[ -x "$OUT/bin/etcd" ] || need+=(etcd)
if [ ${#need[@]} -eq 0 ]; then echo "all binaries cached in $OUT/bin"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: need to build ${need[*]} into $OUT/bin, but Go (>= 1.26) is not on PATH" >&2; exit 1; }
GO_MINOR="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ "${GO_MINOR:-0}" -ge 26 ] || { echo "build.sh: Go >= 1.26 is required, found $(go env GOVERSION)" >&2; exit 1; }
echo "building ${need[*]} into $OUT/bin with $(go env GOVERSION) (cold: about 7 minutes on 2 cores)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ " ${need[*]} " == *" k8s "* ]]; then
  mkdir -p "$WORK/k8s" && cd "$WORK/k8s"
  go mod init local/k8s-fixture-build
  go mod edit -go=1.26.0
  # 1) read k8s.io/kubernetes' own go.mod from the proxy and pin every staging module
  #    it replaces with ./staging/src/k8s.io/<name> (those replaces are ignored in a dependency).
  GOMOD_FILE="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [ -f "$GOMOD_FILE" ] || { echo "could not download k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
  staging="$(sed -n 's|^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*|\1|p' "$GOMOD_FILE")"
  for m in $staging; do go mod edit -replace="$m=$m@$STAGING_VERSION"; done
  echo "pinned $(echo "$staging" | wc -w) staging modules to $STAGING_VERSION"
  # 2) depend on the main packages
  pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
  [ "$WITH_KUBECTL" = 1 ] && pkgs+=(k8s.io/kubernetes/cmd/kubectl)
  go get -tool "${pkgs[@]/%/@$K8S_VERSION}"
  # 3) build, stamped like a release build (otherwise /version says v0.0.0-master+$Format:%H$)
  V=k8s.io/component-base/version; CV=k8s.io/client-go/pkg/version
  BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  LDFLAGS="-s -w"
  for p in $V $CV; do
    LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR"
    LDFLAGS+=" -X $p.gitTreeState=clean -X $p.buildDate=$BUILD_DATE"
  done
  TIMECMD=(); [ -x /usr/bin/time ] && TIMECMD=(/usr/bin/time -v -o "$OUT/k8s-build-time.txt")  # apt-get install time
  start=$(date +%s)
  "${TIMECMD[@]}" go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/" "${pkgs[@]}"
  echo "k8s build took $(( $(date +%s) - start ))s"
  [ -f "$OUT/k8s-build-time.txt" ] && grep -E 'Elapsed|Maximum resident' "$OUT/k8s-build-time.txt" || true
fi

if [[ " ${need[*]} " == *" etcd "* ]]; then
  # go.etcd.io/etcd/server/v3 (package main = the etcd binary) has replace directives
  # (../api, ../client/...), so `go install ...@version` is refused: use a wrapper module.
  mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
  go mod init local/etcd-build
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$OUT/bin/etcd" go.etcd.io/etcd/server/v3
  go build -trimpath -ldflags "-s -w" -o "$OUT/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
fi

ls -la "$OUT/bin"
"$OUT/bin/kube-apiserver" --version || true
"$OUT/bin/etcd" --version || true
