#!/usr/bin/env bash
# The peer (bench/peer) needs what test/infra/crossplane builds (crossplane-core, the crossplane
# CLI for `xpkg build/extract`, function-patch-and-transform; that step runs first) and openssl.
# It is used by benchmarks only, so a missing part is reported here, not fatal.
set -uo pipefail
XP_BIN="${XP_BIN:-${TRELLIS_CACHE:-$HOME/.cache/trellis}/crossplane-v2.3.4/bin}"
command -v openssl >/dev/null || echo "crossplane-peer: WARNING: openssl is missing; bench/peer cannot make certificates" >&2
for b in crossplane crossplane-core function-patch-and-transform; do
  [ -x "$XP_BIN/$b" ] || echo "crossplane-peer: WARNING: missing $XP_BIN/$b (bash test/infra/crossplane/build.sh)" >&2
done
exit 0
