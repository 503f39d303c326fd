/*
 * libqos driver framework: gim (guest interrupt manager)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "qgraph.h"
#include "pci.h"
#include "hw/pci/pci_regs.h"
#include "gim.h"
#include "../qemu-cmdline.h"
#include "standard-headers/misc/gim.h"

static void qgim_map(QGim *gim)
{
    uint64_t size;

    gim->regs = qpci_iomap(&gim->dev, GIM_BAR_REGS, &size);
    g_assert_false(gim->regs.is_io);
    g_assert_cmpint(size, ==, GIM_REGS_SIZE);
    gim->doorbell = qpci_iomap(&gim->dev, GIM_BAR_DOORBELL, &size);
    g_assert_false(gim->doorbell.is_io);
    g_assert_cmpint(size, ==, GIM_DOORBELL_SIZE);
    /* On the pc machines, libqos MMIO BAR addresses are guest-physical. */
    gim->doorbell_addr = gim->doorbell.addr;
}

void qgim_init(QGim *gim, QPCIBus *bus, QPCIAddress *addr)
{
    qpci_device_init(&gim->dev, bus, addr);
    g_assert_cmphex(qpci_config_readw(&gim->dev, PCI_VENDOR_ID), ==,
                    GIM_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(&gim->dev, PCI_DEVICE_ID), ==,
                    GIM_PCI_DEVICE_ID);
    qgim_map(gim);
}

void qgim_enable(QGim *gim)
{
    qpci_device_enable(&gim->dev);
}

void qgim_remap(QGim *gim)
{
    gim->dev.msix_enabled = false;
    gim->msix_slots = 0;
    qgim_map(gim);
    qgim_enable(gim);
}

void qgim_destroy(QGim *gim)
{
    if (gim->dev.msix_enabled) {
        qpci_msix_disable(&gim->dev);
    }
    qpci_iounmap(&gim->dev, gim->doorbell);
    qpci_iounmap(&gim->dev, gim->regs);
}

void qgim_msix_enable(QGim *gim, uint64_t slots)
{
    QTestState *qts = qgim_qts(gim);
    uint8_t cap = qpci_find_capability(&gim->dev, PCI_CAP_ID_MSIX, 0);
    uint16_t flags;

    g_assert_cmpint(cap, !=, 0);
    flags = qpci_config_readw(&gim->dev, cap + PCI_MSIX_FLAGS);
    gim->nr_vectors = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
    qpci_msix_enable(&gim->dev);
    gim->msix_slots = slots;
    for (int v = 0; v < gim->nr_vectors; v++) {
        uint64_t entry = gim->dev.msix_table_off + v * PCI_MSIX_ENTRY_SIZE;
        uint64_t addr = slots + 4 * v;

        qtest_writel(qts, addr, 0);
        qpci_io_writel(&gim->dev, gim->dev.msix_table_bar,
                       entry + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
        qpci_io_writel(&gim->dev, gim->dev.msix_table_bar,
                       entry + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
        qpci_io_writel(&gim->dev, gim->dev.msix_table_bar,
                       entry + PCI_MSIX_ENTRY_DATA, QGIM_MSIX_DATA(v));
        qpci_io_writel(&gim->dev, gim->dev.msix_table_bar,
                       entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }
}

bool qgim_msix_fired(QGim *gim, int v)
{
    QTestState *qts = qgim_qts(gim);
    uint64_t addr = gim->msix_slots + 4 * v;
    uint32_t data;

    g_assert(gim->msix_slots);
    g_assert_cmpint(v, <, gim->nr_vectors);
    data = qtest_readl(qts, addr);
    if (data == 0) {
        return false;
    }
    g_assert_cmphex(data, ==, QGIM_MSIX_DATA(v));
    qtest_writel(qts, addr, 0);
    return true;
}

QTestState *qgim_qts(QGim *gim)
{
    return gim->dev.bus->qts;
}

uint32_t qgim_readl(QGim *gim, uint32_t reg)
{
    return qpci_io_readl(&gim->dev, gim->regs, reg);
}

void qgim_writel(QGim *gim, uint32_t reg, uint32_t val)
{
    qpci_io_writel(&gim->dev, gim->regs, reg, val);
}

uint32_t qgim_iface_readl(QGim *gim, int i, uint32_t reg)
{
    return qgim_readl(gim, GIM_REG_IFACE(i) + reg);
}

void qgim_iface_writel(QGim *gim, int i, uint32_t reg, uint32_t val)
{
    qgim_writel(gim, GIM_REG_IFACE(i) + reg, val);
}

void qgim_route(QGim *gim, int irq, uint32_t fn, uint16_t guest,
                uint8_t dest, uint8_t vector, uint32_t dest_mask)
{
    uint32_t base = GIM_REG_ROUTE(irq);

    qgim_writel(gim, base + GIM_ROUTE_TARGET, GIM_TARGET(guest, dest));
    qgim_writel(gim, base + GIM_ROUTE_VECTOR, vector);
    qgim_writel(gim, base + GIM_ROUTE_DEST_MASK, dest_mask);
    qgim_writel(gim, base + GIM_ROUTE_CTRL, fn);
}

void qgim_set_geometry(QGim *gim, uint64_t table, uint32_t guests,
                       uint32_t dests, uint64_t log, uint32_t log_size)
{
    qgim_writel(gim, GIM_REG_TABLE_LO, table);
    qgim_writel(gim, GIM_REG_TABLE_HI, table >> 32);
    qgim_writel(gim, GIM_REG_TABLE_GUESTS, guests);
    qgim_writel(gim, GIM_REG_TABLE_DESTS, dests);
    qgim_writel(gim, GIM_REG_LOG_LO, log);
    qgim_writel(gim, GIM_REG_LOG_HI, log >> 32);
    qgim_writel(gim, GIM_REG_LOG_SIZE, log_size);
}

void qgim_doorbell(QGim *gim, uint32_t msg)
{
    qpci_io_writel(&gim->dev, gim->doorbell, 0, msg);
}

/* The qos graph node */

static void *qgim_get_driver(void *object, const char *interface)
{
    QGim *gim = object;

    if (!g_strcmp0(interface, "pci-device")) {
        return &gim->dev;
    }
    if (!g_strcmp0(interface, "gim")) {
        return gim;
    }
    fprintf(stderr, "%s not present in gim\n", interface);
    g_assert_not_reached();
}

static void qgim_start_hw(QOSGraphObject *obj)
{
    qgim_enable((QGim *)obj);
}

static void qgim_destructor(QOSGraphObject *obj)
{
    qgim_destroy((QGim *)obj);
}

static void *qgim_create(void *pci_bus, QGuestAllocator *alloc, void *addr)
{
    QGim *gim = g_new0(QGim, 1);

    qgim_init(gim, pci_bus, addr);
    gim->obj.get_driver = qgim_get_driver;
    gim->obj.start_hw = qgim_start_hw;
    gim->obj.destructor = qgim_destructor;
    return &gim->obj;
}

static void qgim_register_nodes(void)
{
    /* Tests attach to the driver node itself: it is named "gim". */
    qos_create_pci_driver_node("gim", QGIM_SLOT, qgim_create);
}

libqos_init(qgim_register_nodes);
