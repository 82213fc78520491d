#!/usr/bin/env bash
# Build the engine's render oracle (test/render/oracle) if missing or out of date.
set -euo pipefail
exec bash "$(dirname "$0")/../../render/oracle/build.sh"
