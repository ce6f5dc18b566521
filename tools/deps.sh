#!/bin/sh
# Installs what fgrun needs to build and test, from Debian's archive: as root
# with apt-get, otherwise prints the command to run.
set -e
need="gcc make pkg-config liblua5.4-dev libcjson-dev libcurl4-openssl-dev libssl-dev
libexpat1-dev zlib1g-dev libcbor-dev libarchive-dev libedit-dev libcmocka-dev lua-busted curl jq patch
podman runc docker-registry busybox-static clang libclang-rt-14-dev
clang-format lua-check python3"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "installing:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "fgrun needs these Debian packages; run:" >&2
    echo "  sudo apt-get install$missing" >&2
    exit 1
fi
