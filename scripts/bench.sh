#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every benchmark in bench/ against the build in $1.
set -euo pipefail
BUILD=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for b in "$ROOT"/bench/*.py; do
    echo "== $(basename "$b")"
    /usr/bin/python3 "$b" "$BUILD/qemu-system-x86_64"
done
