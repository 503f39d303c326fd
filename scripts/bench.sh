#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every benchmark in bench/ against the build in $1.
set -euo pipefail
BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# (*-host.py and *-guest.sh are a guest benchmark's own parts.)
for b in "$ROOT"/bench/*.py; do
    case $b in *-host.py) continue ;; esac
    echo "== $(basename "$b")"
    /usr/bin/python3 "$b" "$BUILD/qemu-system-x86_64"
done
# Guest benchmarks (boot a Linux guest): bench/<name>.sh BUILD_DIR.
for b in "$ROOT"/bench/*.sh; do
    case $b in *-guest.sh) continue ;; esac
    echo "== $(basename "$b")"
    "$b" "$BUILD"
done
