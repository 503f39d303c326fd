# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The fuzz targets of `make fuzz` (scripts/fuzz.sh), sourced by it and by
# the replay of saved findings (tests/suites/fuzz-regress.sh):
# fuzz_config TARGET sets $args (QEMU_FUZZ_ARGS) and $objects
# (QEMU_FUZZ_OBJECTS).
#
# Beside each device of ours sit devices that raise MSIs the guest can aim
# anywhere: virtio-rng-pci (MSI-X, through irqhint's observer) and edu
# (MSI on a register write, and MMIO that an MSI can be pointed at; two of
# them, so that an MSI aimed at one makes it a new source for irqhint's
# observer).  The objects name the MemoryRegions/devices the fuzzer writes
# to (their PCI BARs are mapped and bus mastering enabled).
# shellcheck disable=SC2034  # $args and $objects are for the sourcing script
fuzz_config() {
    case $1 in
    irqhint)
        args="-M pc -nodefaults -device irqhint -device virtio-rng-pci -device edu -device edu"
        objects="virtio-irqhint* virtio-rng* edu" ;;
    gim)
        args="-M pc -nodefaults -device gim -device edu"
        objects="gim edu" ;;
    amd-iommu)
        # The AMD IOMMU in guest virtual APIC mode (it needs a PC machine
        # with PCIe, q35, and intremap=on; kernel-irqchip=split is what KVM
        # needs and means nothing to the qtest accelerator).  It comes
        # before the PCI devices it translates.  edu raises the MSIs it
        # remaps (edu's DMA goes through its translation too); AMDVI-PCI is
        # its PCI function, whose MSI capability carries the IOMMU's own
        # interrupt (event log, completion wait, GA log).
        args="-M q35,kernel-irqchip=split -nodefaults -device amd-iommu,intremap=on,ga-vapic=on -device edu,addr=04.0"
        objects="amd-iommu amdvi-pci edu" ;;
    selftest)
        args="-M pc -nodefaults -device edu"
        objects="edu" ;;
    esac
}
