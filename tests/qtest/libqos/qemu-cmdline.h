/*
 * libqos: run QEMU once with a command line and collect what it printed
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_LIBQOS_QEMU_CMDLINE_H
#define TESTS_LIBQOS_QEMU_CMDLINE_H

/*
 * Run $QTEST_QEMU_BINARY on the pc machine (qtest accelerator, stopped,
 * no display) with @args appended, for at most 20 s.  *@out receives
 * stdout followed by stderr; the exit status is returned (-1 when QEMU
 * did not exit normally).  For tests of command-line errors and ,help.
 */
int qos_run_qemu_cmdline(const char *args, char **out);

#endif
