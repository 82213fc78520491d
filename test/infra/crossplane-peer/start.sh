#!/usr/bin/env bash
# Start upstream Crossplane core or function-patch-and-transform out of cluster, for the peer
# benchmarks (bench/peer, bench/compare). The TypeScript side (bench/peer/peer.ts) prepares DIR
# first: certificates (pki.sh), `core init`, the client certificate and the package cache.
#
#   KUBECONFIG=... bash test/infra/crossplane-peer/start.sh DIR core
#   bash test/infra/crossplane-peer/start.sh DIR function PORT
#
# core:     crossplane-core core start, with webhooks off (they need a Service), functions over
#           mTLS with DIR/tls/client, the package cache in DIR/cache/xpkg, the External package
#           runtime (no Deployments: nothing would run them), metrics and health on free ports
#           (written to DIR/core.env as METRICS_PORT/HEALTH_PORT). Extra flags: CORE_ARGS.
# function: function-patch-and-transform serving gRPC with mTLS on 127.0.0.1:PORT
#           (certificates in DIR/tls/function).
#
# Each process's PID goes to DIR/<component>.pid, its output to DIR/logs/<component>.log.
# OWNER_PID: when set, a watchdog stops the component once that process exits.
# XP_BIN: binaries (default $TRELLIS_CACHE/crossplane-v2.3.4/bin, built by test/infra/crossplane).
set -euo pipefail
DIR="${1:?usage: start.sh DIR core|function [PORT]}"
COMPONENT="${2:?usage: start.sh DIR core|function [PORT]}"
XP_BIN="${XP_BIN:-${TRELLIS_CACHE:-$HOME/.cache/trellis}/crossplane-v2.3.4/bin}"
SELF_DIR="$(cd "$(dirname "$0")" && pwd)"
die() { echo "start.sh: $*" >&2; exit 1; }
mkdir -p "$DIR/logs"
DIR="$(cd "$DIR" && pwd)"

free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]); const servers = []; const ports = [];
    const next = () => {
      if (ports.length === n) { servers.forEach((s) => s.close()); console.log(ports.join(" ")); return; }
      const s = net.createServer(); servers.push(s);
      s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); next(); });
    };
    next();' "$1"
}

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

watchdog() { # watchdog NAME
  [ -n "${OWNER_PID:-}" ] || return 0
  (
    trap '' HUP INT
    while kill -0 "$OWNER_PID" 2>/dev/null && [ -f "$DIR/$1.pid" ]; do sleep 1; done
    [ -f "$DIR/$1.pid" ] && bash "$SELF_DIR/stop.sh" "$DIR" "$1" >/dev/null 2>&1
  ) </dev/null >/dev/null 2>&1 &
  echo $! >"$DIR/$1-watchdog.pid"
}

case "$COMPONENT" in
  core)
    [ -x "$XP_BIN/crossplane-core" ] || die "missing $XP_BIN/crossplane-core (build it with: bash test/infra/crossplane/build.sh)"
    [ -n "${KUBECONFIG:-}" ] || die "KUBECONFIG must name the API server's kubeconfig (core ignores --kubeconfig)"
    [ -s "$DIR/tls/client/tls.crt" ] || die "$DIR/tls/client has no client certificate: run core init first (bench/peer/peer.ts does)"
    running core && die "core is already running in $DIR"
    read -r METRICS_PORT HEALTH_PORT <<<"$(free_ports 2)"
    printf 'METRICS_PORT=%s\nHEALTH_PORT=%s\n' "$METRICS_PORT" "$HEALTH_PORT" >"$DIR/core.env"
    mkdir -p "$DIR/cache/xpkg"
    # shellcheck disable=SC2086  # CORE_ARGS is a space-separated flag list on purpose
    "$XP_BIN/crossplane-core" core start \
      --namespace=crossplane-system \
      --enable-webhooks=false \
      --tls-client-certs-dir="$DIR/tls/client" \
      --xpkg-cache-dir="$DIR/cache/xpkg" \
      --package-runtime=External \
      --metrics-port="$METRICS_PORT" --health-probe-port="$HEALTH_PORT" \
      ${CORE_ARGS:-} </dev/null >>"$DIR/logs/core.log" 2>&1 &
    echo $! >"$DIR/core.pid"
    watchdog core
    # Ready when the health probe answers (controllers are registered by then).
    deadline=$(( $(date +%s) + ${READY_TIMEOUT:-60} ))
    until curl -sf --max-time 2 "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1; do
      running core || { tail -30 "$DIR/logs/core.log" >&2; die "core exited"; }
      [ "$(date +%s)" -lt "$deadline" ] || { tail -30 "$DIR/logs/core.log" >&2; die "core not ready"; }
      sleep 0.1
    done
    echo "core ready (metrics :$METRICS_PORT, health :$HEALTH_PORT)"
    ;;
  function)
    PORT="${3:?usage: start.sh DIR function PORT}"
    [ -x "$XP_BIN/function-patch-and-transform" ] || die "missing $XP_BIN/function-patch-and-transform (bash test/infra/crossplane/build.sh)"
    [ -s "$DIR/tls/function/tls.crt" ] || die "$DIR/tls/function has no certificate: run pki.sh first"
    running function && die "the function is already running in $DIR"
    "$XP_BIN/function-patch-and-transform" --address="127.0.0.1:$PORT" --tls-certs-dir="$DIR/tls/function" \
      </dev/null >>"$DIR/logs/function.log" 2>&1 &
    echo $! >"$DIR/function.pid"
    watchdog function
    deadline=$(( $(date +%s) + ${READY_TIMEOUT:-30} ))
    until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
      running function || { tail -30 "$DIR/logs/function.log" >&2; die "the function exited"; }
      [ "$(date +%s)" -lt "$deadline" ] || die "the function does not listen on 127.0.0.1:$PORT"
      sleep 0.05
    done
    echo "function-patch-and-transform listening on 127.0.0.1:$PORT (mTLS)"
    ;;
  *) die "unknown component \"$COMPONENT\" (want core or function)" ;;
esac
