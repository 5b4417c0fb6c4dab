#!/usr/bin/env bash
# PgBouncer 1.24 for the benchmarks on Debian 12, whose own package (1.18) cannot keep named
# statements in transaction mode. Unpacks Debian 13's pgbouncer and the libraries it needs (glibc
# 2.41 among them) into a directory and writes a `pgbouncer` wrapper there that runs it with
# Debian 13's loader, so nothing on the machine changes. Then:
#   PGBOUNCER=<dir>/pgbouncer npm run bench
set -euo pipefail
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/pgbouncer-debian13}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages="pgbouncer libc6 libevent-2.1-7t64 libcares2 libssl3t64 libsystemd0 libpam0g libcap2 libgcrypt20
  liblz4-1 liblzma5 libzstd1 libgpg-error0 libaudit1 libcap-ng0"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsS "$mirror/dists/trixie/main/binary-amd64/Packages.xz" | xz -d >"$work/Packages"
mkdir -p "$dir"
for package in $packages; do
  file=$(awk -v P="$package" '$1 == "Package:" { p = ($2 == P) } p && $1 == "Filename:" { print $2; exit }' "$work/Packages")
  [ -n "$file" ] || { echo "no $package in trixie" >&2; exit 1; }
  curl -fsS -o "$work/$package.deb" "$mirror/$file"
  dpkg-deb -x "$work/$package.deb" "$dir"
done
cat >"$dir/pgbouncer" <<'EOF'
#!/bin/sh
d=$(dirname "$(readlink -f "$0")")
L="$d/usr/lib/x86_64-linux-gnu"
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$d/usr/sbin/pgbouncer" "$@"
EOF
chmod +x "$dir/pgbouncer"
"$dir/pgbouncer" --version | head -1
echo "PGBOUNCER=$dir/pgbouncer"
