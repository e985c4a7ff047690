#!/bin/sh
# Makes a ready-to-run bundle in DIR with no network and nothing but gcc: the rootfs holds only
# berth's static probe, and config.json is `berth spec` with the probe as the program, so
# `berth run -b DIR demo` shows, as JSON, what a container sees. Usage: native/demo-bundle.sh DIR
set -eu
dir=${1:?usage: native/demo-bundle.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/rootfs"
sh "$here/build-probe.sh" "$dir/rootfs" >/dev/null
rm -f "$dir/config.json"
node "$here/../dist/berth.cjs" spec --bundle "$dir"
node -e '
  const fs = require("fs"), path = process.argv[1] + "/config.json";
  const c = JSON.parse(fs.readFileSync(path, "utf8"));
  c.process.terminal = false;
  c.process.args = ["/berth-probe", "--stat", "/dev/null"];
  fs.writeFileSync(path, JSON.stringify(c, null, 2) + "\n");' "$dir"
echo "bundle ready: $dir (run it with: berth run -b $dir demo)"
