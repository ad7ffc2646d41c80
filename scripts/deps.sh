#!/usr/bin/env bash
# Installs kvmem's Debian build dependencies if any is missing (needs root or
# sudo; non-interactive). Safe to run again: it does nothing when all are there.
set -euo pipefail
packages=(g++ cmake make libcaf-dev catch2 libfmt-dev libssl-dev openssl libedit-dev liblmdb-dev gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "kvmem: installing missing Debian packages: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
