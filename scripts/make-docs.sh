#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build QEMU's manual, with our pages in it, from the tree configure made
# (upstream + our overlay + patches/), with Debian's Sphinx and theme
# (scripts/install-deps.sh).  Warnings are errors, as in QEMU's own
# --enable-docs --enable-werror build, so a broken reference in our rst,
# a page in no toctree or a bad QAPI doc comment fails.
#   scripts/make-docs.sh BUILD_DIR          HTML in BUILD_DIR/../docs-html
#   scripts/make-docs.sh BUILD_DIR --check  the same checks without
#       writing HTML (Sphinx's dummy builder still resolves every
#       reference); for make check
# Sphinx keeps its parsed pages beside the output, so a second run reads
# only what changed.
set -euo pipefail

BUILD=$1
mode=${2:-html}
top=$(dirname "$BUILD")
src=$top/src
command -v sphinx-build >/dev/null ||
    { echo "make-docs: no sphinx-build; run scripts/install-deps.sh as root" >&2
      exit 1; }
[ -f "$src/docs/conf.py" ] ||
    { echo "make-docs: no configured tree in $src; run ./configure" >&2
      exit 1; }

case $mode in
html) builder=html out=$top/docs-html ;;
--check) builder=dummy out=$top/docs-check ;;
*) echo "make-docs: unknown mode $mode" >&2; exit 2 ;;
esac
mkdir -p "$out"
log=$out/sphinx.log
# CONFDIR only appears in the text of the manual.
if ! env CONFDIR=/etc/qemu sphinx-build -q -W -Dkerneldoc_werror=1 \
        -j "$(nproc)" -Dversion="$(cat "$src/VERSION")" -Drelease= \
        -b "$builder" -d "$out/.doctrees" "$src/docs" "$out/$builder" \
        >"$log" 2>&1; then
    sed -e "s|$src/||g" "$log" | tail -30 >&2
    echo "make-docs: the manual does not build (log: $log)" >&2
    exit 1
fi
if [ "$builder" = html ]; then
    echo "make-docs: $out/html/index.html"
fi
