#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the initramfs for the irqhint guest boot tests.
#
# Usage: guest/tools/mkinitramfs.sh OUT.cpio.gz [FILE[:DEST]...]
#
# The image holds busybox (Debian's busybox-static), the guest kernel's
# modules for virtio-pci, virtio-net and virtio-blk (in dependency order;
# those built into the kernel are left out), the irqhint.ko guest driver
# built for that kernel, and an /init that:
#   - mounts proc, sysfs, devtmpfs and debugfs (/sys/kernel/debug);
#   - insmods the modules (each with every MODULE.PARAM=VALUE found on the
#     kernel command line, MODULE as in the image, e.g. kvm_amd.avic=1),
#     then irqhint.ko with every irqhint.PARAM=VALUE
#     found on the kernel command line (irqhint.load=0: do not load it);
#   - with fake_irqhint=1 on the command line, then insmods fake_irqhint.ko
#     (tests/guest/fake-irqhint/: a software irqhint device; its control
#     file is /sys/kernel/debug/fake-irqhint/ctl);
#   - runs the script named by test=PATH on the kernel command line, else
#     /test.sh if present, else (with "shell" on the command line) a shell,
#     else /autorun.sh if present (the guest image's program, with the
#     console as its controlling terminal: scripts/guest-image.sh);
#   - prints "IRQHINT-TEST-EXIT: N" (N: the script's exit status) and
#     powers off (poweroff -f).
# Lines the init prints start with "irqhint-init: ".
#
# Each extra FILE is copied into the image as /BASENAME, or as /DEST when
# given as FILE:DEST (parent directories are created; scripts keep their
# mode, so make them executable).
#
# Environment:
#   IRQHINT_KO     irqhint.ko to include (default: build guest/linux/irqhint
#                  with make and use its irqhint.ko); IRQHINT_KO=none
#                  leaves it out
#   FAKE_KO        fake_irqhint.ko to include (default: build
#                  tests/guest/fake-irqhint); FAKE_KO=none leaves it out
#   EXTRA_MODULES  more kernel module names to include and load (with deps)
#   MODDIR         kernel modules directory (default: scripts/guest-kernel.sh,
#                  which follows IRQHINT_GUEST_SERIES=6.1|6.12); the modules
#                  built here must match it (checked by their vermagic)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 OUT.cpio.gz [FILE[:DEST]...]"
out=$1
shift

apt_install() {
    [ "$(id -u)" = 0 ] || die "package $1 missing; run as root or install it"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$1" >&2 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1" >&2; }
}
pkg_installed() {
    dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}
need_cmd() {
    # need_cmd COMMAND PACKAGE
    command -v "$1" >/dev/null && return 0
    apt_install "$2"
    command -v "$1" >/dev/null || die "$1 still missing after installing $2"
}
need_cmd cpio cpio
need_cmd gzip gzip
# busybox-static ships a static /bin/busybox; the plain busybox package's
# is dynamic and would need the libc in the image.  Its .deb is a test
# asset (scripts/debian-asset.sh: fetched with apt into the functional-test
# asset cache, checked against apt's SHA-256), unpacked here; nothing is
# installed on the host.
bbdeb=$("$REPO/scripts/debian-asset.sh" busybox-static) || die "no busybox-static package"
bbdir=$(mktemp -d)
dpkg -x "$bbdeb" "$bbdir"
BUSYBOX=$bbdir/bin/busybox
[ -x "$BUSYBOX" ] || die "busybox-static's .deb has no /bin/busybox"

if [ -z "${MODDIR:-}" ]; then
    MODDIR=$("$REPO/scripts/guest-kernel.sh" --get moddir)
fi
[ -f "$MODDIR/modules.dep" ] || die "no modules.dep in $MODDIR"

KVER=$(basename "$MODDIR")
need_cmd modinfo kmod

# build_ko DIR: build the module in DIR for $KVER (its Makefile asks
# scripts/guest-kernel.sh, which follows IRQHINT_GUEST_SERIES); once more
# from clean if what is there was built for another kernel.
build_ko() {
    make -s -C "$1" >&2
    if [ "$(ko_kver "$1"/*.ko)" != "$KVER" ]; then
        make -s -C "$1" clean >&2
        make -s -C "$1" >&2
    fi
}
ko_kver() { modinfo -F vermagic "$1" 2>/dev/null | cut -d' ' -f1; }
check_ko() {
    [ -f "$1" ] || die "no module at $1"
    [ "$(ko_kver "$1")" = "$KVER" ] ||
        die "$1 is built for '$(ko_kver "$1")', the kernel is $KVER (IRQHINT_GUEST_SERIES?)"
}

if [ -z "${IRQHINT_KO:-}" ]; then
    build_ko "$REPO/guest/linux/irqhint"
    IRQHINT_KO=$REPO/guest/linux/irqhint/irqhint.ko
fi
[ "$IRQHINT_KO" = none ] || check_ko "$IRQHINT_KO"
if [ -z "${FAKE_KO:-}" ]; then
    build_ko "$REPO/tests/guest/fake-irqhint"
    FAKE_KO=$REPO/tests/guest/fake-irqhint/fake_irqhint.ko
fi
[ "$FAKE_KO" = none ] || check_ko "$FAKE_KO"

work=$(mktemp -d)
trap 'rm -rf "$work" "$bbdir"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,lib/modules}

# busybox and its applets
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
for s in init poweroff reboot halt; do
    ln -sf ../bin/busybox "$root/sbin/$s"
done

# Kernel modules: wanted names and their dependencies, in load order.
declare -A dep_of path_of done_mod
while IFS=: read -r mpath deps; do
    name=${mpath##*/}
    name=${name%%.ko*}
    name=${name//-/_}
    path_of[$name]=$mpath
    dep_of[$name]=$deps
done < "$MODDIR/modules.dep"

# Built into the kernel (6.12 has virtio_pci built in, 6.1 a module).
declare -A builtin
if [ -f "$MODDIR/modules.builtin" ]; then
    while read -r mpath; do
        name=${mpath##*/}
        name=${name%%.ko*}
        builtin[${name//-/_}]=1
    done < "$MODDIR/modules.builtin"
fi

order=()
visit() {
    local name=${1//-/_} d
    [ -n "${done_mod[$name]:-}" ] && return 0
    [ -n "${builtin[$name]:-}" ] && return 0
    [ -n "${path_of[$name]:-}" ] || die "module $1 not in $MODDIR/modules.dep"
    done_mod[$name]=1
    for d in ${dep_of[$name]}; do
        d=${d##*/}
        visit "${d%%.ko*}"
    done
    order+=("$name")
}
# shellcheck disable=SC2086
for m in virtio_pci virtio_net virtio_blk ${EXTRA_MODULES:-}; do
    visit "$m"
done

: > "$root/lib/modules/load.order"
for name in "${order[@]}"; do
    src=$MODDIR/${path_of[$name]}
    dst=$root/lib/modules/$name.ko
    case $src in
    *.ko.xz) need_cmd xz xz-utils; xz -dc "$src" > "$dst" ;;
    *.ko.zst) need_cmd zstd zstd; zstd -qdc "$src" > "$dst" ;;
    *.ko.gz) gzip -dc "$src" > "$dst" ;;
    *.ko) cp "$src" "$dst" ;;
    *) die "unexpected module file $src" ;;
    esac
    echo "$name" >> "$root/lib/modules/load.order"
done
[ "$IRQHINT_KO" = none ] || cp "$IRQHINT_KO" "$root/lib/modules/irqhint.ko"
[ "$FAKE_KO" = none ] || cp "$FAKE_KO" "$root/lib/modules/fake_irqhint.ko"

cat > "$root/init" <<'EOF'
#!/bin/sh
# /init of the irqhint test initramfs (guest/tools/mkinitramfs.sh).
export PATH=/bin:/sbin
say() { echo "irqhint-init: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1

cmdline=$(cat /proc/cmdline)
test_script=
load_irqhint=1
load_fake=0
irqhint_args=
shell=0
for arg in $cmdline; do
    case $arg in
    test=*) test_script=${arg#test=} ;;
    irqhint.load=*) load_irqhint=${arg#irqhint.load=} ;;
    fake_irqhint=*) load_fake=${arg#fake_irqhint=} ;;
    irqhint.*=*) irqhint_args="$irqhint_args ${arg#irqhint.}" ;;
    shell) shell=1 ;;
    esac
done

say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus"
for m in $(cat /lib/modules/load.order); do
    margs=
    for arg in $cmdline; do
        case $arg in
        "$m".*=*) margs="$margs ${arg#"$m".}" ;;
        esac
    done
    # shellcheck disable=SC2086
    insmod /lib/modules/$m.ko $margs || say "insmod $m failed"
    [ -z "$margs" ] || say "$m loaded with$margs"
done
if [ "$load_irqhint" = 1 ] && [ -e /lib/modules/irqhint.ko ]; then
    # shellcheck disable=SC2086
    if insmod /lib/modules/irqhint.ko $irqhint_args; then
        say "irqhint loaded${irqhint_args:+ with$irqhint_args}"
    else
        say "insmod irqhint failed"
    fi
fi
if [ "$load_fake" = 1 ]; then
    if insmod /lib/modules/fake_irqhint.ko; then
        say "fake_irqhint loaded"
    else
        say "insmod fake_irqhint failed"
    fi
fi
say "modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

if [ -z "$test_script" ] && [ -e /test.sh ]; then
    test_script=/test.sh
fi
if [ -n "$test_script" ]; then
    say "running $test_script"
    sh "$test_script"
    rc=$?
elif [ "$shell" = 1 ]; then
    setsid cttyhack sh
    rc=$?
elif [ -e /autorun.sh ]; then
    say "running /autorun.sh"
    setsid cttyhack sh /autorun.sh
    rc=$?
else
    say "no test script"
    rc=0
fi
echo "IRQHINT-TEST-EXIT: $rc"
sync
poweroff -f
EOF
chmod 755 "$root/init"

# Extra files
for spec in "$@"; do
    src=${spec%%:*}
    if [ "$src" != "$spec" ]; then
        dest=${spec#*:}
    else
        dest=$(basename "$src")
    fi
    [ -f "$src" ] || die "extra file $src not found"
    mkdir -p "$root/$(dirname "/$dest")"
    cp -p "$src" "$root/$dest"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -k "$out" | cut -f1) KiB, modules: ${order[*]}$([ "$IRQHINT_KO" = none ] || echo ' irqhint')$([ "$FAKE_KO" = none ] || echo ' fake_irqhint'))" >&2
