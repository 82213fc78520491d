#!/usr/bin/env bash
# Stop what start.sh started in DIR, by PID.
#
#   bash test/infra/crossplane-peer/stop.sh DIR                    stop core and the function
#   bash test/infra/crossplane-peer/stop.sh DIR COMPONENT [--kill] stop one (TERM, KILL after 5 s)
set -uo pipefail
DIR="${1:?usage: stop.sh DIR [core|function [--kill]]}"

stop_one() { # stop_one NAME SIGNAL
  local f="$DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  rm -f "$f"
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$2" "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
}

stop_component() { # stop_component NAME SIGNAL
  stop_one "$1-watchdog" TERM
  stop_one "$1" "$2"
}

case "${2:-}" in
  core | function)
    if [ "${3:-}" = "--kill" ]; then stop_component "$2" KILL; else stop_component "$2" TERM; fi
    ;;
  "")
    stop_component core TERM
    stop_component function TERM
    ;;
  *) echo "stop.sh: unknown component \"$2\"" >&2; exit 1 ;;
esac
exit 0
