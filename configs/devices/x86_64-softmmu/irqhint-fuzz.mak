# Devices of irqhint's fuzzing build (./configure --fuzz, make fuzz).
#
# Configured with --without-default-devices: only what is named here (and
# what it selects) is built.  The pc and q35 machines, our two devices, the
# AMD IOMMU (whose guest virtual APIC mode is ours), and the PCI devices
# the fuzz configs put beside them: MSI-X devices whose interrupts go
# through irqhint's observer (virtio-rng-pci, e1000e) and edu, whose MSI
# the fuzzer raises at will and whose MMIO an MSI can be pointed at.
CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_AMD_IOMMU=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_RNG=y
CONFIG_VIRTIO_IRQHINT=y
CONFIG_GIM=y
CONFIG_EDU=y
CONFIG_PCI_EXPRESS=y
CONFIG_E1000E_PCI_EXPRESS=y
