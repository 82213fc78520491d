#!/usr/bin/env bash
# The terminal suite (test/cli/terminal.test.ts) drives the CLI in a real terminal through tmux.
# Install tmux if it is missing (Debian/Ubuntu: apt-get, as root or with passwordless sudo);
# otherwise say how, and the suite fails loudly under CI=true.
set -euo pipefail
if command -v tmux >/dev/null 2>&1; then
  echo "terminal: $(tmux -V)"
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "terminal: tmux is missing and this user cannot install packages; run: sudo apt-get install -y tmux" >&2
      exit 0
    fi
  fi
  $SUDO apt-get install -y -qq tmux >/dev/null 2>&1 || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq tmux >/dev/null; }
  echo "terminal: installed $(tmux -V)"
  exit 0
fi
echo "terminal: tmux is missing; install it with your package manager (the terminal suite needs it)" >&2
