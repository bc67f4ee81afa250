#!/usr/bin/env bash
# Installs what dataledger needs beyond Go: openssl (the SM2/SM3 interop
# tests cross-check with it). Go itself (1.26) must be on PATH.
set -euo pipefail
command -v go >/dev/null || { echo "dataledger needs Go 1.26 on PATH" >&2; exit 1; }
missing=()
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
