#!/bin/sh
# Builds berth-probe, the static test payload that reports what a container sees, into OUTDIR.
# Static so it runs in any rootfs; needs only gcc and libc6-dev (glibc's libc.a).
set -eu
out=${1:?usage: native/build-probe.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
gcc -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE "$here/probe.c" -o "$out/berth-probe"
echo "built $out/berth-probe"
