#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: see scripts/irqhint-demo.py.
set -euo pipefail
BUILD=$1
exec /usr/bin/python3 "$(dirname "$0")/irqhint-demo.py" "$BUILD/qemu-system-x86_64"
