# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The AMD IOMMU's guest virtual APIC mode end to end (issue 14): Debian's
# kernel as L1 (kvm_amd avic=1, vfio-pci) under -device
# amd-iommu,intremap=on,ga-vapic=on assigns edu to an L2 through VFIO and
# a KVM irqfd; tests/guest/avic/iommu_host.py boots it and checks (see its
# header).  Run by tests/tap-suite.sh.  Logs: $LOGDIR/amd-iommu-ga/.
# IOMMU_GA_SERIES narrows the kernels (default "6.1 6.12");
# IOMMU_GA_N is the interrupts per phase (default 1000).

# shellcheck source=/dev/null
. "$ROOT/tests/guest/avic/suite-lib.sh"

amd_iommu_ga_suite() {
    local dir=$LOGDIR/amd-iommu-ga
    local qemu=$BUILD/qemu-system-x86_64
    local fw=$BUILD/qemu-bundle/usr/local/share/qemu
    local series out kernel

    rm -rf "$dir"
    mkdir -p "$dir"
    if ! make -C "$ROOT/tests/guest/avic" O="$dir/build" >"$dir/build.log" 2>&1; then
        result "amd-iommu-ga: build the VMM" fail "make failed" "$dir/build.log"
        return
    fi
    for series in ${IOMMU_GA_SERIES:-6.1 6.12}; do
        out=$dir/$series
        if ! kernel=$("$ROOT/scripts/guest-kernel.sh" --series "$series" \
                --get vmlinuz 2>"$dir/kernel-$series.log"); then
            result "amd-iommu-ga $series: the guest kernel" fail "" "$dir/kernel-$series.log"
            continue
        fi
        if ! IRQHINT_GUEST_SERIES=$series IRQHINT_KO=none FAKE_KO=none \
                EXTRA_MODULES="kvm kvm-amd vfio vfio-iommu-type1 vfio-pci-core vfio-pci" \
                "$ROOT/tests/guest/mkinitramfs.sh" "$dir/initrd-$series.cpio.gz" \
                "$ROOT/tests/guest/avic/l1-iommu.sh:test.sh" \
                "$dir/build/avic-vmm:bin/avic-vmm" >"$dir/initrd-$series.log" 2>&1; then
            result "amd-iommu-ga $series: the initramfs" fail "" "$dir/initrd-$series.log"
            continue
        fi
        timeout -k 10 300 /usr/bin/python3 "$ROOT/tests/guest/avic/iommu_host.py" \
            --qemu "$qemu" --fw "$fw" --kernel "$kernel" \
            --initrd "$dir/initrd-$series.cpio.gz" --n "${IOMMU_GA_N:-1000}" \
            --dir "$out" --label "amd-iommu-ga $series" --timeout 280 \
            >"$out.log" 2>&1
        avic_report "$out/results.tsv" "$out.log"
        if [ "$AVIC_REPORTED" -eq 0 ]; then
            result "amd-iommu-ga $series: boot L1" fail "no results" "$out.log"
        fi
    done
}

amd_iommu_ga_suite
