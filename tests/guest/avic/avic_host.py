#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AVIC test's host side as a program (the soak's avic driver,
bench/avic.sh, by hand): irqhint.avic (python/irqhint/avic.py, whose
header lists the options and checks) on a QEMUMachine of its own.
tests/functional/test_x86_64_avic.py runs the same code on the test's
QEMUMachine."""

import glob
import importlib
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", ".."))


def add_python_paths():
    """Our python/ and QEMU's python/ (qemu.machine, qemu.qmp) from the
    build's source, unless already on PYTHONPATH (iommu_host.py and
    tests/guest/vmm/vmm_host.py use it too)."""
    sys.path.insert(0, os.path.join(REPO, "python"))
    try:
        importlib.import_module("qemu.machine")
        return
    except ImportError:
        pass
    cands = []
    try:
        b = subprocess.run([os.path.join(REPO, "configure"), "--print-builddir"],
                           capture_output=True, text=True, timeout=30,
                           check=False).stdout.strip()
        if b:
            cands.append(os.path.join(os.path.dirname(b), "src", "python"))
    except (OSError, subprocess.SubprocessError):
        pass
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    cands += sorted(glob.glob(os.path.join(cache, "irqhint", "qemu-*", "src", "python")))
    for c in cands:
        if os.path.isdir(os.path.join(c, "qemu", "machine")):
            sys.path.append(c)
            return


if __name__ == "__main__":
    add_python_paths()
    from irqhint.avic import main  # pylint: disable=import-outside-toplevel
    sys.exit(main())
