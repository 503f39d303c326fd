#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AMD IOMMU guest vAPIC test's host side as a program (the soak's
iommu driver, bench/amd-iommu-ga.sh, by hand): irqhint.iommu_ga
(python/irqhint/iommu_ga.py, whose header lists the options and checks)
on a QEMUMachine of its own.  tests/functional/test_x86_64_amd_iommu_ga.py
runs the same code on the test's QEMUMachine."""

import sys

from avic_host import add_python_paths

if __name__ == "__main__":
    add_python_paths()
    from irqhint.iommu_ga import main  # pylint: disable=import-outside-toplevel
    sys.exit(main())
