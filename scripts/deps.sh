#!/usr/bin/env bash
# Installs what dataledger needs beyond Go: openssl (the SM2/SM3 interop
# tests cross-check with it). Go itself (1.26 or newer) must be on PATH; the
# scripts set GOTOOLCHAIN=go1.27.3, which it fetches through the module proxy.
set -euo pipefail
command -v go >/dev/null || { echo "dataledger needs Go 1.26 on PATH" >&2; exit 1; }
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v gcc >/dev/null || missing+=(gcc) # cgo: Fabric CA's SQLite driver (dataledger fabric build)
# Headless Chromium for the verification page's browser test.
command -v chromium >/dev/null || missing+=(chromium chromium-driver)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei) # CJK glyphs in screenshots
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Redis on 127.0.0.1:6379 (the gateway's cache tests use it for real).
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  if ! command -v redis-server >/dev/null; then
    echo "installing redis-server with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/dataledger.log
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
# PostgreSQL on 127.0.0.1:5432 with trust auth for local connections (the
# supervision index and its tests use it for real).
if ! (command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432); then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing postgresql with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  grep -q "^host all all 127.0.0.1/32 trust" "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  grep -q "^local all all trust" "$hba" || sed -i '1i local all all trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  for _ in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.1; done
fi

