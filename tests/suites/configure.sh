# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# ./configure again, twice, on a configured tree, on a machine with
# Debian's qemu-system-common installed (scripts/install-deps.sh installs
# it): its /usr/share/qemu/trace-events-all once collided with the
# build's own link of that name in qemu-bundle/ (dangling until
# trace/trace-events-all is built), and every configure after the first
# failed with "ln: ... File exists".  Firmware linking must leave what
# the build puts there alone.  Run by tests/tap-suite.sh.  Logs:
# $LOGDIR/configure/.

configure_suite() {
    local dir=$LOGDIR/configure i rc link want
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ ! -e /usr/share/qemu/trace-events-all ]; then
        result "configure: twice with qemu-system-common installed" fail \
            "/usr/share/qemu/trace-events-all missing: scripts/install-deps.sh installs qemu-system-common"
        return
    fi
    for i in 1 2; do
        (cd "$ROOT" && ./configure) >"$dir/configure-$i.log" 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
            result "configure: twice with qemu-system-common installed" fail \
                "run $i: status $rc" "$dir/configure-$i.log"
            return
        fi
    done
    link=$BUILD/qemu-bundle/usr/local/share/qemu/trace-events-all
    want=$BUILD/trace/trace-events-all
    if [ "$(readlink "$link")" != "$want" ]; then
        result "configure: twice with qemu-system-common installed" fail \
            "$link points to '$(readlink "$link")', not the build's $want"
        return
    fi
    result "configure: twice with qemu-system-common installed; the build's trace-events-all link kept" pass
}

configure_suite
