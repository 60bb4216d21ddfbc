#!/bin/sh
# demo.sh - the README quick start's "main job" (make demo).
set -eu
: "${SEALCAT:?}"
"$SEALCAT" --version
echo "demo: sealcat builds; the loopback transfer arrives with listen/connect"
