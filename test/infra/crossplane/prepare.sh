#!/usr/bin/env bash
# Build the crossplane CLI, Crossplane core and function-patch-and-transform if missing.
set -euo pipefail
exec bash "$(dirname "$0")/build.sh"
