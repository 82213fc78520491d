#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager and etcd from the Go module proxy if missing.
set -euo pipefail
exec bash "$(dirname "$0")/build.sh"
