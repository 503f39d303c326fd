# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The guest driver through Debian's dkms, as a guest administrator installs
# it: `make -C guest/linux/irqhint dkms-source` (a self-contained source
# tree with dkms.conf), `dkms add`, then `dkms build -k KVER` for each guest
# kernel (6.1 and bookworm-backports' 6.12, headers from
# scripts/guest-kernel.sh), and `dkms remove --all`.
# Nothing is left on the host: the source, DKMS and install trees and the
# module signing key dkms makes are all in a temporary directory
# (--sourcetree/--dkmstree/--installtree, mok_signing_key/mok_certificate),
# checked against /usr/src and /var/lib/dkms afterwards.
# Run by tests/tap-suite.sh (which defines result, $ROOT, $LOGDIR).
# Logs: $LOGDIR/dkms/.

dkms_suite() {
    local dir=$LOGDIR/dkms
    local drv=$ROOT/guest/linux/irqhint
    local -a series=(6.1 6.12)
    local s ver tmp kver kdir ko got
    local -a dk

    rm -rf "$dir"
    mkdir -p "$dir"

    if ! command -v dkms >/dev/null; then
        for s in "${series[@]}"; do
            result "dkms [$s]: dkms build of the driver" fail \
                "dkms is not installed (scripts/install-deps.sh installs it)"
        done
        return
    fi
    ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$drv/dkms.conf")
    tmp=$(mktemp -d /tmp/irqhint-dkms.XXXXXX)
    mkdir -p "$tmp/src" "$tmp/dkms" "$tmp/install"
    dk=(dkms --sourcetree "$tmp/src" --dkmstree "$tmp/dkms"
        --installtree "$tmp/install")

    if ! make -s -C "$drv" dkms-source DKMS_SOURCE="$tmp/src/irqhint-$ver" \
            >"$dir/add.log" 2>&1 ||
       ! "${dk[@]}" add -m irqhint -v "$ver" >>"$dir/add.log" 2>&1; then
        for s in "${series[@]}"; do
            result "dkms [$s]: dkms build of the driver" fail \
                "make dkms-source or dkms add failed" "$dir/add.log"
        done
        rm -rf "$tmp"
        return
    fi

    for s in "${series[@]}"; do
        local name="dkms [$s]: dkms build of the driver"
        local log=$dir/build-$s.log

        if ! "$ROOT/scripts/guest-kernel.sh" --series "$s" >"$log" 2>&1; then
            result "$name" fail "no $s kernel headers (scripts/guest-kernel.sh)" "$log"
            continue
        fi
        kver=$("$ROOT/scripts/guest-kernel.sh" --series "$s" --get kver)
        kdir=$("$ROOT/scripts/guest-kernel.sh" --series "$s" --get kdir)
        # Sign with a key of our own, in $tmp, with the kernel's sign-file.
        if ! env mok_signing_key="$tmp/mok.key" mok_certificate="$tmp/mok.pub" \
                sign_file="$kdir/scripts/sign-file" \
                "${dk[@]}" build -m irqhint -v "$ver" -k "$kver" \
                --kernelsourcedir "$kdir" >>"$log" 2>&1; then
            cat "$tmp/dkms/irqhint/$ver/build/make.log" >>"$log" 2>/dev/null
            result "$name" fail "dkms build -k $kver failed" "$log"
            continue
        fi
        "${dk[@]}" status -m irqhint -v "$ver" -k "$kver" >>"$log" 2>&1
        ko=$(echo "$tmp/dkms/irqhint/$ver/$kver"/*/module/irqhint.ko*)
        got=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
        if ! "${dk[@]}" status -m irqhint -v "$ver" -k "$kver" 2>/dev/null |
                grep -q ": built$"; then
            result "$name" fail "dkms status does not say built for $kver" "$log"
        elif [ "$got" != "$kver" ]; then
            result "$name" fail "module $ko has vermagic '$got', not $kver" "$log"
        elif ! modinfo -F signer "$ko" 2>/dev/null | grep -q .; then
            result "$name" fail "module $ko is not signed" "$log"
        else
            result "$name" pass
        fi
    done

    "${dk[@]}" remove -m irqhint -v "$ver" --all >"$dir/remove.log" 2>&1
    if [ -e "$tmp/dkms/irqhint" ]; then
        result "dkms: remove --all leaves nothing" fail \
            "$tmp/dkms/irqhint remains" "$dir/remove.log"
    elif compgen -G "/usr/src/irqhint-*" >/dev/null || [ -e /var/lib/dkms/irqhint ]; then
        result "dkms: remove --all leaves nothing" fail \
            "irqhint found in /usr/src or /var/lib/dkms" "$dir/remove.log"
    else
        result "dkms: remove --all leaves nothing" pass
    fi
    rm -rf "$tmp"
}

dkms_suite
