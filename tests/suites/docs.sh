# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# QEMU's manual builds with our pages in it, warnings as errors
# (scripts/make-docs.sh --check: every page in a toctree, every reference
# resolved, the QAPI schema's doc comments well formed).  Sourced by
# tests/tap-suite.sh (which defines result, $BUILD, $ROOT, $LOGDIR).

docs_suite() {
    local log=$LOGDIR/docs.log t0=$SECONDS
    if ! command -v sphinx-build >/dev/null; then
        result "docs: the manual builds with our pages, warnings as errors" \
            fail "no sphinx-build (scripts/install-deps.sh installs python3-sphinx)"
        return
    fi
    if "$ROOT/scripts/make-docs.sh" "$BUILD" --check >"$log" 2>&1; then
        result "docs: the manual builds with our pages, warnings as errors" pass
    else
        result "docs: the manual builds with our pages, warnings as errors" \
            fail "" "$log"
    fi
    echo "    (docs suite: $((SECONDS - t0)) s)"
}

docs_suite
