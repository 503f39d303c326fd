#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Turn edited copies of upstream files into a patch for patches/.
#   scripts/mkpatch.sh OUT.patch "Subject line" EDITDIR FILE...
# EDITDIR holds the edited FILEs at their upstream relative paths; the
# originals come from the pristine unpacked source in the build cache.
set -euo pipefail
out=$1; subject=$2; edit=$3; shift 3
pristine=$(dirname "$("$(dirname "$0")/../configure" --print-builddir)")/pristine
{
    echo "From: irqhint"
    echo "Subject: [PATCH] $subject"
    echo
    echo "---"
    for f in "$@"; do
        diff -u --label "a/$f" --label "b/$f" "$pristine/$f" "$edit/$f" || true
    done
} > "$out"
