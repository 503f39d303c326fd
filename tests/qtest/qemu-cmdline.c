/*
 * qtest: run QEMU once with a command line and collect what it printed;
 * migration helpers shared by device tests; a libqos PCI driver node
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "libqos/pci.h"
#include "qemu-cmdline.h"

#define QOS_WAIT_US (10 * G_USEC_PER_SEC)

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

char *qos_tmp_path(const char *name)
{
    g_autofree char *dir = g_dir_make_tmp("qos-test-XXXXXX", NULL);

    g_assert_nonnull(dir);
    return g_build_filename(dir, name, NULL);
}

void qos_tmp_path_remove(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);

    unlink(path);
    rmdir(dir);
}

void qos_wait_running(QTestState *qts)
{
    gint64 end = g_get_monotonic_time() + QOS_WAIT_US;

    for (;;) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-status' }");
        bool run = qdict_get_bool(qdict_get_qdict(rsp, "return"), "running");

        qobject_unref(rsp);
        if (run) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10000);
    }
}

void qos_wait_migrated(QTestState *qts)
{
    gint64 end = g_get_monotonic_time() + QOS_WAIT_US;

    for (;;) {
        QDict *ret = qtest_qmp_assert_success_ref(qts,
                         "{ 'execute': 'query-migrate' }");
        const char *st = qdict_get_try_str(ret, "status");
        bool done = !g_strcmp0(st, "completed");

        g_assert_cmpstr(st, !=, "failed");
        qobject_unref(ret);
        if (done) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(10000);
    }
}

void qos_migrate_to_file(QTestState *qts, const char *path)
{
    g_autofree char *uri = g_strdup_printf("exec:cat > '%s'", path);

    qtest_qmp_assert_success(qts, "{ 'execute': 'migrate',"
                             " 'arguments': { 'uri': %s } }", uri);
    qos_wait_migrated(qts);
}

void qos_patch_file(const char *path, const void *find, const void *repl,
                    size_t len)
{
    g_autofree char *buf = NULL;
    gsize size;
    char *hit = NULL;

    g_assert(g_file_get_contents(path, &buf, &size, NULL));
    for (gsize i = 0; i + len <= size; i++) {
        if (!memcmp(buf + i, find, len)) {
            g_assert_null(hit);     /* exactly one occurrence */
            hit = buf + i;
        }
    }
    g_assert_nonnull(hit);
    memcpy(hit, repl, len);
    g_assert(g_file_set_contents(path, buf, size, NULL));
}

int qos_load_file(const char *args, const char *path, char **out)
{
    g_autofree char *all = g_strdup_printf("%s -incoming \"exec:cat '%s'\"",
                                           args, path);

    return qos_run_qemu_cmdline(all, out);
}

void qos_expect_loads(const char *args, const char *path)
{
    g_autofree char *out = NULL;

    /* 124: timeout(1) stopped a QEMU that was still running */
    g_assert_cmpint(qos_load_file(args, path, &out), ==, 124);
}

void qos_expect_load_refused(const char *args, const char *path,
                             const char *why)
{
    g_autofree char *out = NULL;

    g_assert_cmpint(qos_load_file(args, path, &out), ==, 1);
    if (!strstr(out, why)) {
        g_test_message("'%s' not in: %s", why, out);
        g_assert_not_reached();
    }
}

void qos_create_pci_driver_node(const char *name, int slot,
                                QOSCreateDriverFunc create)
{
    QPCIAddress addr = {
        .devfn = QPCI_DEVFN(slot, 0),
    };
    g_autofree char *dev_opts = g_strdup_printf("addr=%02x.0", slot);
    QOSGraphEdgeOptions opts = {
        .extra_device_opts = dev_opts,
    };

    add_qpci_address(&opts, &addr);
    qos_node_create_driver(name, create);
    qos_node_consumes(name, "pci-bus", &opts);
    qos_node_produces(name, "pci-device");
}
