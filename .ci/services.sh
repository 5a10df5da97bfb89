# Throwaway PostgreSQL and Redis on free loopback ports, for the tests that need them.
# Sourced by .ci/run: svc_start exports APEX_TEST_PG and APEX_TEST_REDIS; svc_stop tears everything down.
# initdb refuses root, so PostgreSQL runs as the postgres user with data and socket under /tmp.

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# A port no socket uses, listening or connected: a port of the kernel's ephemeral range (32768-60999 here) can be
# the local end of any outgoing connection, and a server cannot bind it then. The defaults sit below that range.
free_port() {
  local p=$1
  while ss -Htan "sport = :$p" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

svc_start() {
  SVC_DIR=$(mktemp -d /tmp/apex-svc.XXXXXX)
  chmod 755 "$SVC_DIR"
  PG_PORT=$(free_port "${APEX_PG_PORT:-25432}")
  REDIS_PORT=$(free_port "${APEX_REDIS_PORT:-26379}")
  mkdir -p "$SVC_DIR/pg" "$SVC_DIR/redis"
  chown postgres:postgres "$SVC_DIR/pg"
  runuser -u postgres -- "$PGBIN/initdb" -D "$SVC_DIR/pg/data" -U postgres -A trust -E UTF8 --no-sync \
    >"$SVC_DIR/pg/initdb.log" 2>&1 || { cat "$SVC_DIR/pg/initdb.log"; return 1; }
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$SVC_DIR/pg/data" -l "$SVC_DIR/pg/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $SVC_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=200" \
    start >/dev/null || { cat "$SVC_DIR/pg/server.log"; return 1; }
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$SVC_DIR/redis" --pidfile "$SVC_DIR/redis/redis.pid" --logfile "$SVC_DIR/redis/redis.log"
  for _ in $(seq 1 300); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || { cat "$SVC_DIR/pg/server.log"; return 1; }
  [ "$(redis-cli -p "$REDIS_PORT" ping)" = PONG ] || { cat "$SVC_DIR/redis/redis.log"; return 1; }
  export APEX_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres"
  export APEX_TEST_REDIS="127.0.0.1:$REDIS_PORT"
}

svc_stop() {
  [ -n "${SVC_DIR:-}" ] || return 0
  if [ -f "$SVC_DIR/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$SVC_DIR/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  [ -n "${REDIS_PORT:-}" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$SVC_DIR"
  SVC_DIR=
}
