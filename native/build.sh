#!/bin/sh
# Builds the helper into OUTDIR with the machine's C compiler (gcc on Debian; no -dev packages
# beyond libc6-dev are needed: libseccomp, when used, is loaded with dlopen).
set -eu
out=${1:?usage: native/build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
cc=$(command -v gcc || command -v cc)
mkdir -p "$out"
"$cc" -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out/berth-helper" "$here/berth-helper.c"
echo "built $out/berth-helper"
