#!/usr/bin/env bash
# Sourced by .ci/run: a throwaway Redis on a free loopback port for the fleet tests, without
# persistence, in a temporary folder; it is stopped when the sourcing shell exits.
# Exports MIDAS_REDIS_URL.

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing redis-server"
  DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >/dev/null; }
fi

midas_redis_dir=$(mktemp -d)
midas_redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$midas_redis_port" --save "" --appendonly no \
  --dir "$midas_redis_dir" --daemonize no --logfile "$midas_redis_dir/redis.log" &
midas_redis_pid=$!

midas_redis_stop() {
  kill "$midas_redis_pid" 2>/dev/null || true
  wait "$midas_redis_pid" 2>/dev/null || true
  rm -rf "$midas_redis_dir"
}
trap midas_redis_stop EXIT  # .ci/run replaces it with one that stops every service

for _ in $(seq 1 100); do
  if redis-cli -h 127.0.0.1 -p "$midas_redis_port" ping 2>/dev/null | grep -q PONG; then
    break
  fi
  sleep 0.1
done
if ! redis-cli -h 127.0.0.1 -p "$midas_redis_port" ping 2>/dev/null | grep -q PONG; then
  echo "redis-server did not start on port $midas_redis_port:" >&2
  cat "$midas_redis_dir/redis.log" >&2 || true
  exit 1
fi
export MIDAS_REDIS_URL="redis://127.0.0.1:$midas_redis_port/"
echo "== redis-server $(redis-server --version | cut -d' ' -f3) on $MIDAS_REDIS_URL"
