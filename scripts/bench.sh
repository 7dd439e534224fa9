#!/usr/bin/env bash
# Load benchmark of the storefront on loopback: the PLAY programme and a CUBE performance page,
# served by the release server with the embedded sandbox, under wrk (Debian).
#   scripts/bench.sh [seconds per page, default 15] [connections, default 32]
# Prints requests/s and p50/p99 latency per page, the S-360 calls made during the load (must be
# 0: pages render from the caches), and each page's transferred size with its assets, gzip- and
# brotli-compressed as the server sends them.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DURATION="${1:-15}"
CONNECTIONS="${2:-32}"
PORT="${BENCH_PORT:-3900}"
SB_PORT="${BENCH_SANDBOX_PORT:-3901}"
TOKEN=bench-admin

apt_install wrk curl
"$ROOT/scripts/build.sh" --release

log "starting the shop (release) on 127.0.0.1:$PORT"
LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT="$SITE_DIR" SHOP_SANDBOX_ADDR="127.0.0.1:$SB_PORT" \
  SANDBOX_ADMIN_TOKEN="$TOKEN" SANDBOX_RATE_LIMIT_PER_MINUTE=0 SHOP_DATA_DIR="$(mktemp -d)" RUST_LOG=warn \
  "$TARGET_DIR/release/shop" &
SHOP_PID=$!
trap 'kill $SHOP_PID 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "the shop did not become ready" >&2; exit 1; }

# a CUBE performance page, from CUBE's sitemap (event/ID/PERF)
PERF_PATH="$(curl -s -H 'Host: cube.localhost' "http://127.0.0.1:$PORT/sitemap.xml" \
  | grep -o '<loc>[^<]*/event/[0-9]*/[0-9]*</loc>' | head -1 | sed 's|<loc>http://[^/]*||; s|</loc>||')"
[ -n "$PERF_PATH" ] || { echo "no CUBE performance found" >&2; exit 1; }

calls() { curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$SB_PORT/__admin/calls" \
  | grep -o ':[0-9]*' | tr -d ':' | awk '{s += $1} END {print s + 0}'; }

bench() { # name host path
  local name=$1 host=$2 path=$3
  for _ in 1 2 3; do curl -s -o /dev/null -H "Host: $host" -H 'Accept-Language: en' "http://127.0.0.1:$PORT$path"; done
  local before after out
  before=$(calls)
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Host: $host" -H 'Accept-Language: en' \
    "http://127.0.0.1:$PORT$path")
  after=$(calls)
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  local errors
  errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-26s %10s req/s   p50 %8s   p99 %8s   S-360 calls during load: %s%s\n' \
    "$name" "$rps" "$p50" "$p99" "$((after - before))" "${errors:+   non-2xx: $errors}"
}

size() { # host path encoding -> bytes on the wire
  curl -s -o /dev/null -w '%{size_download}' -H "Host: $1" -H "Accept-Encoding: $3" "http://127.0.0.1:$PORT$2"
}

weight() { # name host path
  local name=$1 host=$2 path=$3
  for enc in identity gzip br; do
    local total=0 line=""
    for p in "$path" /pkg/shop.js /pkg/shop.wasm /pkg/shop.css; do
      local b; b=$(size "$host" "$p" "$enc"); total=$((total + b)); line="$line $(basename "$p")=$b"
    done
    printf '%-26s %-8s %8d bytes  (%s )\n' "$name" "$enc" "$total" "$line"
  done
}

echo
log "throughput (${DURATION}s per page, $CONNECTIONS connections, wrk -t2, loopback)"
bench "PLAY programme /" play.localhost /
bench "CUBE performance page" cube.localhost "$PERF_PATH"
echo
log "page weight with its assets (HTML + shop.js + shop.wasm + shop.css)"
weight "PLAY programme /" play.localhost /
weight "CUBE performance page" cube.localhost "$PERF_PATH"
