# Sourced by .ci/run: a throwaway PostgreSQL cluster in a temporary folder on a loopback port,
# for the journal's PostgreSQL tests. `postgres_start` exports MIDAS_TEST_POSTGRES_URL;
# `postgres_stop` stops the server and removes the folder. Fails if the server cannot start.

postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

postgres_start() {
  if [ -z "$(postgres_bin)" ]; then
    echo "== installing PostgreSQL (Debian's packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  fi
  local bin; bin=$(postgres_bin)
  PG_DIR=$(mktemp -d)
  local port; port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local as_owner=()
  if [ "$(id -u)" = 0 ]; then
    # The server refuses to run as root: the Debian package's `postgres` user owns the cluster.
    chown postgres "$PG_DIR"
    as_owner=(runuser -u postgres --)
  fi
  PG_AS_OWNER=("${as_owner[@]}")
  "${as_owner[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U midas >/dev/null
  # A test cluster: no fsync (its data is thrown away), sockets in the temporary folder only.
  "${as_owner[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null
  export MIDAS_TEST_POSTGRES_URL="postgres://midas@127.0.0.1:$port/postgres"
  # What the journal's stop/start test runs, with `stop` or `start` after it.
  export MIDAS_TEST_POSTGRES_CTL="${as_owner[*]} $bin/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log -w -t 60 -o '-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=200' -m fast"
  echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

postgres_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    "${PG_AS_OWNER[@]}" "$(postgres_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
