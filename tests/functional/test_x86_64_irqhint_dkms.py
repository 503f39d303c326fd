#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The guest driver through Debian's dkms, as a guest administrator
installs it: `make -C guest/linux/irqhint dkms-source` (a self-contained
source tree with dkms.conf), `dkms add`, `dkms build -k KVER` for each
guest kernel (Debian 12's 6.1 and bookworm-backports' 6.12, headers from
scripts/guest-kernel.sh), a boot of each kernel with the module dkms
built (the guest script of test_x86_64_irqhint_guest.py loads it and
checks that it binds and applies a placement), and `dkms remove --all`.

Nothing is left on the host: the source, DKMS and install trees and the
module signing key dkms makes are all in a temporary directory
(--sourcetree/--dkmstree/--installtree, mok_signing_key/mok_certificate),
checked against /usr/src and /var/lib/dkms afterwards.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile

from irqhint_linux import ROOT, LinuxGuestTest, prepare

DRIVER = os.path.join(ROOT, "guest", "linux", "irqhint")


def guest_kernel(series, what):
    return subprocess.run([os.path.join(ROOT, "scripts", "guest-kernel.sh"), "--series",
                           series, "--get", what], capture_output=True, text=True,
                          check=True, timeout=1200).stdout.strip()


class IrqhintDkms(LinuxGuestTest):

    tree = None

    @classmethod
    def tearDownClass(cls):
        if cls.tree:
            shutil.rmtree(cls.tree["tmp"], ignore_errors=True)
        super().tearDownClass()

    def log_run(self, cmd, log, env=None):
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n")
            f.flush()
            return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                  timeout=1200).returncode

    def dkms(self):
        """The temporary DKMS trees with the driver added (once)."""
        if shutil.which("dkms") is None:
            self.fail("dkms is not installed (scripts/install-deps.sh installs it)")

        def run():
            with open(os.path.join(DRIVER, "dkms.conf")) as f:
                ver = re.search(r'^PACKAGE_VERSION="(.*)"$', f.read(), re.M).group(1)
            tmp = tempfile.mkdtemp(prefix="irqhint-dkms.")
            for d in ("src", "dkms", "install"):
                os.makedirs(os.path.join(tmp, d))
            dk = ["dkms", "--sourcetree", os.path.join(tmp, "src"),
                  "--dkmstree", os.path.join(tmp, "dkms"),
                  "--installtree", os.path.join(tmp, "install")]
            log = os.path.join(self.logdir(), "add.log")
            IrqhintDkms.tree = {"tmp": tmp, "ver": ver, "dk": dk}
            if self.log_run(["make", "-s", "-C", DRIVER, "dkms-source",
                             f"DKMS_SOURCE={tmp}/src/irqhint-{ver}"], log) or \
               self.log_run(dk + ["add", "-m", "irqhint", "-v", ver], log):
                raise AssertionError(f"make dkms-source or dkms add failed ({log})")
            return IrqhintDkms.tree
        return self.shared("add", run)

    def logdir(self):
        d = self.build_file("tests", "functional", self.arch, type(self).__name__)
        os.makedirs(d, exist_ok=True)
        return d

    def build(self, series):
        """dkms build -k KVER of SERIES (once): the module's path."""
        t = self.dkms()

        def run():
            log = os.path.join(self.logdir(), f"build-{series}.log")
            kver = guest_kernel(series, "kver")
            kdir = guest_kernel(series, "kdir")
            env = dict(os.environ, mok_signing_key=f"{t['tmp']}/mok.key",
                       mok_certificate=f"{t['tmp']}/mok.pub",
                       sign_file=f"{kdir}/scripts/sign-file")
            if self.log_run(t["dk"] + ["build", "-m", "irqhint", "-v", t["ver"], "-k", kver,
                                       "--kernelsourcedir", kdir], log, env):
                make_log = f"{t['tmp']}/dkms/irqhint/{t['ver']}/build/make.log"
                if os.path.exists(make_log):
                    with open(make_log) as f, open(log, "a") as g:
                        g.write(f.read())
                raise AssertionError(f"dkms build -k {kver} failed ({log})")
            status = subprocess.run(t["dk"] + ["status", "-m", "irqhint", "-v", t["ver"],
                                               "-k", kver], capture_output=True,
                                    text=True).stdout
            kos = glob.glob(f"{t['tmp']}/dkms/irqhint/{t['ver']}/{kver}/*/module/irqhint.ko*")
            return kver, status, kos
        return self.shared(("build", series), run)

    def check_build(self, series):
        kver, status, kos = self.build(series)
        self.assertRegex(status, r": built\s*$", f"dkms status does not say built for "
                         f"{kver}: {status}")
        self.assertEqual(len(kos), 1, f"modules built: {kos}")
        info = {f: subprocess.run(["modinfo", "-F", f, kos[0]], capture_output=True,
                                  text=True).stdout.strip() for f in ("vermagic", "signer")}
        self.assertEqual(info["vermagic"].split(" ")[0], kver,
                         f"module {kos[0]} has vermagic '{info['vermagic']}'")
        self.assertTrue(info["signer"], f"module {kos[0]} is not signed")

    def check_boot(self, series):
        """The module dkms built, booted: the driver binds and reads the
        device's table, a placement sets IRQ affinity and delivery."""
        self.need_cpus(2, "placement puts vCPUs on different ones")
        kver, _, kos = self.build(series)
        self.assertEqual(len(kos), 1, f"modules built: {kos}")
        ko = kos[0]
        work = os.path.join(self.logdir(), f"boot-{series}")
        if ko.endswith(".xz"):
            os.makedirs(work, exist_ok=True)
            plain = os.path.join(work, "irqhint.ko")
            with open(plain, "wb") as f:
                subprocess.run(["xz", "-dc", ko], stdout=f, check=True)
            ko = plain
        kernel, initrd = prepare(work, series,
                                 os.path.join(ROOT, "tests", "guest", "boot-test.sh"), ko=ko)
        boot = self.boot(work, kernel, initrd, [
            "-device", "irqhint", "-netdev", "user,id=n0",
            "-device", "virtio-net-pci,netdev=n0,addr=03.0,vectors=4,romfile="],
            append=["irqhint.load=0"], timeout=200)
        for check_id in ("a", "b"):
            self.check_result(boot, check_id)

    def test_61_build(self):
        """6.1: dkms build of the driver (built, the kernel's vermagic,
        signed)"""
        self.check_build("6.1")

    def test_61_boot(self):
        """6.1: the module dkms built binds and applies a placement"""
        self.check_boot("6.1")

    def test_612_build(self):
        """6.12: dkms build of the driver (built, the kernel's vermagic,
        signed)"""
        self.check_build("6.12")

    def test_612_boot(self):
        """6.12: the module dkms built binds and applies a placement"""
        self.check_boot("6.12")

    def test_remove_all(self):
        """dkms remove --all leaves nothing (runs after the others: names
        sort)"""
        t = self.dkms()
        log = os.path.join(self.logdir(), "remove.log")
        self.log_run(t["dk"] + ["remove", "-m", "irqhint", "-v", t["ver"], "--all"], log)
        self.assertFalse(os.path.exists(f"{t['tmp']}/dkms/irqhint"),
                         f"{t['tmp']}/dkms/irqhint remains ({log})")
        self.assertFalse(glob.glob("/usr/src/irqhint-*") or
                         os.path.exists("/var/lib/dkms/irqhint"),
                         "irqhint found in /usr/src or /var/lib/dkms")


if __name__ == '__main__':
    LinuxGuestTest.main()
