#!/bin/sh
# Mosquitto for docker-compose.yml's scale-out profile. Mosquitto 2 drops from root to its own user right
# after reading its configuration, before it opens the password file, the ACL file and the TLS key. The files
# of `kzmeter broker-config mosquitto` belong to the kzmeter image's user (passwd is 0600), so copy them, as
# root, to a folder only the mosquitto user reads. SIGHUP copies them again and makes Mosquitto reload them
# (after `credentials issue|rotate|revoke` and `broker-config mosquitto`: docker compose kill -s HUP mosquitto).
# The paths can be moved (the deploy tests run this script against Debian's mosquitto).
set -eu
src=${MOSQUITTO_AUTH_SRC:-/kzmeter/auth}
dst=${MOSQUITTO_AUTH_DIR:-/mosquitto/auth}
conf=${MOSQUITTO_CONF:-/kzmeter/mosquitto.conf}
user=${MOSQUITTO_USER:-mosquitto}

copy_auth() {
  for f in passwd acl; do
    if [ ! -f "$src/$f" ]; then
      echo "start.sh: $src/$f is missing: run \"docker compose run --rm --no-deps service broker-config mosquitto\" (docs/deploy.md)" >&2
      return 1
    fi
  done
  mkdir -p "$dst"
  cp "$src/passwd" "$dst/passwd.new"
  cp "$src/acl" "$dst/acl.new"
  chown "$user:$user" "$dst" "$dst/passwd.new" "$dst/acl.new"
  chmod 700 "$dst"
  chmod 600 "$dst/passwd.new" "$dst/acl.new"
  mv "$dst/passwd.new" "$dst/passwd"
  mv "$dst/acl.new" "$dst/acl"
}

copy_auth
/usr/sbin/mosquitto -c "$conf" &
pid=$!
trap 'copy_auth && kill -HUP "$pid"' HUP
trap 'kill -TERM "$pid"' TERM INT
# wait returns early when a trapped signal arrives: keep waiting while Mosquitto runs, then exit with its status.
while :; do
  status=0
  wait "$pid" || status=$?
  kill -0 "$pid" 2>/dev/null || exit "$status"
done
