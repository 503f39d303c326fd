/*
 * qtest: run QEMU once with a command line and collect what it printed;
 * migration helpers shared by device tests; a libqos PCI driver node
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_QTEST_QEMU_CMDLINE_H
#define TESTS_QTEST_QEMU_CMDLINE_H

#include "libqtest.h"
#include "libqos/qgraph.h"

/*
 * Run $QTEST_QEMU_BINARY on the pc machine (qtest accelerator, stopped,
 * no display) with @args appended, for at most 20 s.  *@out receives
 * stdout followed by stderr; the exit status is returned (-1 when QEMU
 * did not exit normally, e.g. on abort()).  For tests of command-line
 * errors and ,help.
 */
int qos_run_qemu_cmdline(const char *args, char **out);

/*
 * A path named @name in a new temporary directory (for a migration
 * socket or stream); qos_tmp_path_remove() removes both.
 */
char *qos_tmp_path(const char *name);
void qos_tmp_path_remove(const char *path);

/* Wait (at most 10 s) until @qts runs, e.g. after an incoming migration. */
void qos_wait_running(QTestState *qts);
/* Wait (at most 10 s) until @qts's outgoing migration completed. */
void qos_wait_migrated(QTestState *qts);

/* Save @qts's state to the file @path (a migration to "exec:cat"). */
void qos_migrate_to_file(QTestState *qts, const char *path);
/*
 * Replace the one occurrence of the @len bytes @find in the file @path
 * by @repl (a corrupted migration stream); fails the test unless @find
 * occurs exactly once.
 */
void qos_patch_file(const char *path, const void *find, const void *repl,
                    size_t len);
/*
 * Start QEMU with @args and load the stream in @path (see
 * qos_run_qemu_cmdline); returns its exit status, *@out what it printed.
 */
int qos_load_file(const char *args, const char *path, char **out);
/* QEMU started with @args loads the stream in @path and runs on. */
void qos_expect_loads(const char *args, const char *path);
/* QEMU started with @args refuses the stream in @path: status 1, @why. */
void qos_expect_load_refused(const char *args, const char *path,
                             const char *why);

/*
 * Create the qos graph driver node @name: a PCI device that @create makes
 * (its argument a QPCIAddress), consuming "pci-bus" at slot @slot
 * (function 0) and producing "pci-device".
 */
void qos_create_pci_driver_node(const char *name, int slot,
                                QOSCreateDriverFunc create);

#endif
