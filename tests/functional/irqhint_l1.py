# SPDX-License-Identifier: GPL-2.0-or-later
"""What the functional tests that boot Debian's Linux as an L1
hypervisor (KVM, kvm_amd avic=1) share: test_x86_64_avic.py and
test_x86_64_amd_iommu_ga.py.

The host side of each boot is irqhint.avic or irqhint.iommu_ga
(python/irqhint/), the code that the soak and bench/ run as
tests/guest/avic/avic_host.py and iommu_host.py, on the test's own
QEMUMachine (self.get_vm()).  Their checks each carry an ID; each (boot,
ID) is a test method of its own, the class boots once per key (series,
mode), the first method that needs the boot runs it, the others read
its results (LinuxGuestTest.shared()).  The L1 VMM (avic-vmm) is built
by meson (tests/meson.build) and named by IRQHINT_AVIC_VMM.
"""

import os

from irqhint_linux import LinuxGuestTest


class L1KvmTest(LinuxGuestTest):

    def work(self, name):
        return self.build_file("tests", "functional", self.arch,
                               f"{type(self).__name__}-{name}")

    def vmm(self):
        path = os.environ.get("IRQHINT_AVIC_VMM")
        if not path or not os.access(path, os.X_OK):
            self.fail(f"no L1 VMM at IRQHINT_AVIC_VMM={path!r} (meson builds "
                      "it: tests/meson.build, avic-vmm)")
        return path

    def log_line(self, text):
        self.log.info("host: %s", text)

    def check_result(self, run, check_id):
        """The result of check CHECK_ID of RUN (an irqhint.avic or
        irqhint.iommu_ga Run after its checks): pass, fail with its
        reason, or skip."""
        got = [r for r in run.results if r[3] == check_id]
        if not got:
            done = "; ".join(f"{r[0]} {r[1]}" + (f": {r[2]}" if r[2] else "")
                             for r in run.results if r[0] != "pass")
            self.fail(f"check {check_id} was not reported (QEMU status {run.rc}; "
                      f"{done or 'no other check failed'}; logs {run.a.dir})")
        status, label, reason, _ = got[0]
        if status == "skip":
            self.skipTest(f"{label}: {reason}")
        if status != "pass":
            self.fail(f"{label}: {reason} (logs {run.a.dir})")


def add_checks(cls, prefix, boot_method, checks, label):
    """A test method test_PREFIX_ID for each (id, name) of CHECKS: it
    passes when the boot that cls.BOOT_METHOD(self) runs (once) reported
    check ID passed; its docstring LABEL: NAME."""
    for check_id, name in checks:
        def test(self, check_id=check_id):
            self.check_result(getattr(self, boot_method)(), check_id)
        test.__doc__ = f"{label}: {name}"
        test.__name__ = f"test_{prefix}_{check_id.replace('-', '_')}"
        setattr(cls, test.__name__, test)
