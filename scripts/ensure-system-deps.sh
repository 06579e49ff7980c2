#!/usr/bin/env bash
# Installs the Debian packages the service and its tests run for real (InfluxDB 1.x, Mosquitto, Chromium)
# when they are missing. Used by `npm start` / `npm test` (pre-scripts) and .ci/run.
# Usage: scripts/ensure-system-deps.sh influxdb [mosquitto] [chromium] [prometheus] [python3-paho-mqtt] [docker-compose] [postgresql]
#   (prometheus: promtool checks the alert rules and /metrics; python3-paho-mqtt: the Paho client the broker tests
#   use; docker-compose: Debian's Compose 1.29 reads docker-compose.yml; postgresql: the shared state store's tests)
set -euo pipefail
# A binary, or py:<module> for a Python module of Debian's interpreter (/usr/bin/python3, not a python3 on PATH).
declare -A probe=([influxdb]=influxd [mosquitto]=/usr/sbin/mosquitto [mosquitto-clients]=mosquitto_pub [chromium]=chromium [prometheus]=promtool [python3-paho-mqtt]=py:paho.mqtt.client [postgresql]=pg:initdb)
has() {
  case "$1" in
    py:*) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ${1#py:}" >/dev/null 2>&1 ;;
    # Debian keeps PostgreSQL's server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
    pg:*) compgen -G "/usr/lib/postgresql/*/bin/${1#pg:}" >/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] ;;
  esac
}
missing=()
for pkg in "$@"; do
  has "${probe[$pkg]:-$pkg}" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]} (needed to run for real; set KZM_INFLUX_URL to use your own InfluxDB)" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Not root and no sudo: install them yourself: apt-get install -y ${missing[*]}" >&2; exit 1
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages may start their own daemons; the service and tests start their own on free ports.
for svc in influxdb mosquitto prometheus postgresql; do $SUDO service "$svc" stop >/dev/null 2>&1 || true; done
exit 0
