#!/bin/sh
# berth as a runtime binary for the conformance suite: the built dist/berth.cjs through node,
# so `--runtime spec-tests/conformance/berth-runtime.sh` tests this checkout's berth.
exec node "$(dirname "$0")/../../dist/berth.cjs" "$@"
