/*
 * qtest: run QEMU once with a command line and collect what it printed;
 * migration helpers shared by device tests
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_QTEST_QEMU_CMDLINE_H
#define TESTS_QTEST_QEMU_CMDLINE_H

#include "libqtest.h"

/*
 * Run $QTEST_QEMU_BINARY on the pc machine (qtest accelerator, stopped,
 * no display) with @args appended, for at most 20 s.  *@out receives
 * stdout followed by stderr; the exit status is returned (-1 when QEMU
 * did not exit normally, e.g. on abort()).  For tests of command-line
 * errors and ,help.
 */
int qos_run_qemu_cmdline(const char *args, char **out);

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

#endif
