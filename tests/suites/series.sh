# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The upstream patch series (`make patches`, manifest patches/series.txt).
# Run by tests/tap-suite.sh (which defines result, $BUILD, $ROOT,
# $LOGDIR).
#
# - export: scripts/make-patches.py builds the series from the pristine
#   tree, checks that it covers every file of ours and every patches/ hunk
#   once, and that its final tree is the tree configure built (so `make`,
#   which built that tree, built the full series);
# - git am: every patch applies, in order, to a git clone of the pristine
#   tree, and the result is the exported series;
# - prefixes: at each prefix, every C file the patch adds or changes
#   compiles (-fsyntax-only, flags from the build), the meson/QAPI lines
#   it adds name files that exist, and the QAPI schema generates where the
#   patch changes it (prefixes are not linked; the full series is: it is
#   the tree `make` built);
# - checkpatch: QEMU's scripts/checkpatch.pl, 0 errors, every warning
#   explained below its --- line.
# Logs: $LOGDIR/series/.

series_suite() {
    local dir=$LOGDIR/series top repo head t0
    top=$(dirname "$BUILD")
    rm -rf "$dir"
    mkdir -p "$dir"
    t0=$SECONDS
    if ! python3 "$ROOT/scripts/make-patches.py" --check-tree \
            --out "$dir/out" >"$dir/export.out" 2>"$dir/export.log"; then
        result "series: make patches exports the project" fail "" \
            "$dir/export.log"
        return
    fi
    repo=$(sed -n 's/^repo //p' "$dir/export.out")
    head=$(sed -n 's/^head //p' "$dir/export.out")
    result "series: make patches exports $(ls "$dir/out" | grep -cv '^0000-') patches + cover letter; its final tree is the built tree" pass

    if python3 "$ROOT/scripts/check-series.py" am "$repo" "$dir/out" \
            "$dir/work" "$head" >"$dir/am.log" 2>&1; then
        result "series: every patch applies with git am to the pristine tree" pass
    else
        result "series: every patch applies with git am to the pristine tree" \
            fail "" "$dir/am.log"
        return
    fi

    if python3 "$ROOT/scripts/check-series.py" compile "$dir/work" \
            "$BUILD" "$top/src" >"$dir/compile.log" 2>&1; then
        result "series: every prefix compiles the C files it touches, its meson/QAPI lines name existing files, its QAPI schema generates" pass
    else
        result "series: every prefix compiles the C files it touches" \
            fail "" "$dir/compile.log"
    fi

    if python3 "$ROOT/scripts/check-series.py" checkpatch "$dir/work" \
            "$dir/out" >"$dir/checkpatch.log" 2>&1; then
        result "series: checkpatch.pl: 0 errors, every warning explained below ---" pass
    else
        result "series: checkpatch.pl: 0 errors, every warning explained" \
            fail "" "$dir/checkpatch.log"
    fi
    rm -rf "$dir/work"
    echo "    (series suite: $((SECONDS - t0)) s)"
}

series_suite
