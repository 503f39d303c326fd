# SPDX-License-Identifier: GPL-2.0-or-later
"""QMP to a QEMU started with -qmp unix:PATH,server=on, over qemu.qmp."""

import time

from qemu.qmp import ExecuteError, QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol


class Monitor:
    """A QMP connection to PATH, which QEMU may not have created yet.

    Connecting is retried for up to CONNECT_TIMEOUT seconds, or until PROC
    (QEMU's process, when given) exits.  TIMEOUT bounds every command
    (None: no bound).
    """

    def __init__(self, path, timeout=None, connect_timeout=30, proc=None):
        deadline = time.monotonic() + connect_timeout
        while True:
            self.qmp = QEMUMonitorProtocol(path)
            try:
                self.qmp.connect()
                break
            except (QMPError, OSError):
                self.qmp.close()
                if ((proc is not None and proc.poll() is not None) or
                        time.monotonic() > deadline):
                    raise
                time.sleep(0.05)
        self.qmp.settimeout(timeout)

    def cmd(self, name, **args):
        """NAME's return value; RuntimeError("NAME: why") when it fails."""
        try:
            return self.qmp.cmd(name, **args)
        except ExecuteError as e:
            raise RuntimeError(f"{name}: {e}") from e
        except (QMPError, EOFError) as e:      # QEMU went away
            raise RuntimeError(f"{name}: QMP connection closed") from e

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def close(self):
        """Disconnect (again: a no-op); QEMU may have hung up already."""
        try:
            self.qmp.close()
        except (QMPError, OSError, EOFError):
            pass
