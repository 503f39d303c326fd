/*
 * libqos: run QEMU once with a command line and collect what it printed
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu-cmdline.h"

int qos_run_qemu_cmdline(const char *args, char **out)
{
    g_autofree char *cmd = g_strdup_printf(
        "timeout 20 %s -machine pc -accel qtest -display none -nodefaults "
        "-S -qmp null %s", g_getenv("QTEST_QEMU_BINARY"), args);
    g_autoptr(GError) err = NULL;
    g_autofree char *so = NULL, *se = NULL;
    int status;

    g_assert(g_spawn_command_line_sync(cmd, &so, &se, &status, &err));
    *out = g_strconcat(so, se, NULL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
