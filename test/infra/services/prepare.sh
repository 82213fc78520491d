#!/usr/bin/env bash
# Install the external APIs the provider suites run against (Debian 12 packages), if missing:
# PowerDNS Authoritative with the sqlite3 backend, Prometheus Alertmanager, PostgreSQL 15.
# Idempotent: a no-op when every binary is present. Services are never started here
# (see start.sh); Debian's policy-rc.d keeps apt from starting them as system services.
set -euo pipefail
missing=()
command -v pdns_server >/dev/null 2>&1 || missing+=(pdns-server pdns-backend-sqlite3)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
[ -f /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ] || missing+=(pdns-backend-sqlite3)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -eq 0 ]; then
  echo "services: pdns, alertmanager, postgresql present"
  exit 0
fi
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "services: installing ${pkgs[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "services: installed ${pkgs[*]}"
