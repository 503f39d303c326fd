# SPDX-License-Identifier: GPL-2.0-or-later
"""What the functional tests that boot a Debian Linux guest with the
irqhint driver share (test_x86_64_irqhint_guest.py,
test_x86_64_irqhint_iothread.py).

The guest: a Debian kernel (6.1 or 6.12, from Debian's packages through
scripts/guest-kernel.sh) and an initramfs (guest/tools/mkinitramfs.sh)
that runs a guest script; the launcher and control channel are
irqhint.guest's Session on the test's own QEMUMachine (self.get_vm).
A guest script reports each check on the console as

    IRQHINT-RESULT: ID pass|fail [REASON]

after its log section "== check ID: ...", and each becomes a test
method of its own: the class boots once per kernel, the first method that
needs the boot runs it, the others read its results.
"""

import os
import re
import subprocess

from irqhint.guest import Session, default_kernel, usable_cpus
from qemu_test import QemuSystemTest

ROOT = os.environ.get("IRQHINT_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# The guest side of the control channel, in every image.
GUEST_LIB = os.path.join(ROOT, "guest", "tools", "guest-lib.sh")


def prepare(work, series, script, extra_modules="", fake=False, files=(), ko=None):
    """Fetch the kernel of SERIES, build the driver (or take KO, a built
    irqhint.ko) and an initramfs in WORK that runs SCRIPT; (kernel,
    initrd).  A failure raises, with the last lines of WORK/prepare.log."""
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, IRQHINT_GUEST_SERIES=series, EXTRA_MODULES=extra_modules)
    if ko:
        env["IRQHINT_KO"] = ko
    if not fake:
        env["FAKE_KO"] = "none"
    initrd = os.path.join(work, "initrd.cpio.gz")
    log = os.path.join(work, "prepare.log")
    with open(log, "w") as f:
        for cmd in ([os.path.join(ROOT, "scripts", "guest-kernel.sh")],
                    [os.path.join(ROOT, "guest", "tools", "mkinitramfs.sh"), initrd,
                     f"{script}:test.sh", GUEST_LIB + ":lib/guest-lib.sh", *files]):
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                timeout=1200).returncode
            if rc != 0:
                break
    if rc != 0:
        with open(log, errors="replace") as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f"could not build the guest kernel/module/initramfs "
                           f"(status {rc}; {log}):\n{tail}")
    old = os.environ.get("IRQHINT_GUEST_SERIES")
    os.environ["IRQHINT_GUEST_SERIES"] = series
    try:
        kernel = default_kernel()
    finally:
        if old is None:
            del os.environ["IRQHINT_GUEST_SERIES"]
        else:
            os.environ["IRQHINT_GUEST_SERIES"] = old
    return kernel, initrd


class LinuxGuestTest(QemuSystemTest):
    """Boots once per key (a kernel series, say) and shares the results
    among the test methods of the class."""

    _boots = {}

    def setUp(self):
        super().setUp()
        self.require_accelerator("tcg")

    def need_cpus(self, n, why):
        have = len(usable_cpus())
        if have < n:
            self.skipTest(f"needs {n} usable host CPUs ({why}), have {have}")

    def boot(self, work, kernel, initrd, qemu_args, append=(), smp=4, timeout=200):
        """One boot of INITRD under Session on this test's QEMUMachine;
        (status, console text)."""
        console = os.path.join(work, "console.log")
        s = Session(initrd, console, qemu=self.qemu_bin, kernel=kernel,
                    append=list(append), qemu_args=qemu_args, timeout=timeout, smp=smp,
                    transcript=os.path.join(work, "control.log"),
                    boot_log=os.path.join(work, "qemu.log"),
                    out=lambda text: self.log.info("host: %s", text))
        try:
            s.start(self.get_vm(name=os.path.basename(work)))
            rc = s.serve()
        finally:
            s.close()
        with open(console, errors="replace") as f:
            text = f.read().replace("\r", "")
        return rc, text

    def shared(self, key, run):
        """RUN() once per class and KEY: its result, or the exception it
        raised, again, for every method that asks."""
        k = (type(self).__name__, key)
        if k not in LinuxGuestTest._boots:
            try:
                LinuxGuestTest._boots[k] = ("ok", run())
            except Exception as e:      # every method of the boot fails with it
                LinuxGuestTest._boots[k] = ("error", e)
        what, value = LinuxGuestTest._boots[k]
        if what == "error":
            raise value
        return value

    def check_result(self, boot, check_id):
        """The guest's result for CHECK_ID of BOOT (status, console)."""
        rc, text = boot
        m = re.search(rf"^IRQHINT-RESULT: {re.escape(check_id)} (\w+) ?(.*)$", text, re.M)
        if m is None:
            self.fail(f"the guest did not report check {check_id} (status {rc}); "
                      f"console tail:\n{text[-3000:]}")
        if m.group(1) != "pass":
            section = re.search(rf"^== check {re.escape(check_id)}:.*?"
                                rf"^IRQHINT-RESULT: {re.escape(check_id)} ", text,
                                re.M | re.S)
            self.fail(f"{m.group(2)}\n{section.group(0)[-3000:] if section else ''}")


def add_checks(cls, prefix, boot_method, checks):
    """A test method test_PREFIX_ID for each (id, doc) of CHECKS: it passes
    when the boot that cls.BOOT_METHOD(self) runs (once) reported it
    passed."""
    for check_id, doc in checks:
        def test(self, check_id=check_id):
            self.check_result(getattr(self, boot_method)(), check_id)
        test.__doc__ = doc
        test.__name__ = f"test_{prefix}_{check_id.replace('-', '_')}"
        setattr(cls, test.__name__, test)
