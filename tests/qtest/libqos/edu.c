/*
 * libqos: the edu device (hw/misc/edu.c) as an MSI source
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "edu.h"
#include "standard-headers/linux/pci_regs.h"

void qedu_init(QEdu *edu, QPCIBus *bus, int devfn, uint64_t msi_addr,
               uint16_t msi_data)
{
    QPCIDevice *dev = qpci_device_find(bus, devfn);
    uint8_t cap;
    uint16_t flags;

    g_assert_nonnull(dev);
    qpci_device_enable(dev);
    edu->dev = dev;
    edu->bar = qpci_iomap(dev, 0, NULL);
    cap = qpci_find_capability(dev, PCI_CAP_ID_MSI, 0);
    g_assert_cmpint(cap, !=, 0);
    flags = qpci_config_readw(dev, cap + PCI_MSI_FLAGS);
    qpci_config_writel(dev, cap + PCI_MSI_ADDRESS_LO, msi_addr);
    if (flags & PCI_MSI_FLAGS_64BIT) {
        qpci_config_writel(dev, cap + PCI_MSI_ADDRESS_HI, msi_addr >> 32);
        qpci_config_writew(dev, cap + PCI_MSI_DATA_64, msi_data);
    } else {
        g_assert_cmphex(msi_addr >> 32, ==, 0);
        qpci_config_writew(dev, cap + PCI_MSI_DATA_32, msi_data);
    }
    qpci_config_writew(dev, cap + PCI_MSI_FLAGS, flags | PCI_MSI_FLAGS_ENABLE);
}

void qedu_raise(QEdu *edu, int n)
{
    for (int i = 0; i < n; i++) {
        qpci_io_writel(edu->dev, edu->bar, QEDU_RAISE_IRQ, 1);
        qpci_io_writel(edu->dev, edu->bar, QEDU_ACK_IRQ, 1);
    }
}

void qedu_destroy(QEdu *edu)
{
    g_free(edu->dev);
    edu->dev = NULL;
}
