# SPDX-License-Identifier: GPL-2.0-or-later
"""An L1 hypervisor (Debian's Linux with KVM) booted under our TCG QEMU
on qemu.machine.QEMUMachine: what the L1-KVM hosts share (irqhint.avic,
irqhint.iommu_ga, tests/guest/vmm/vmm_host.py).

QEMU is a QEMUMachine (a functional test's self.get_vm(), or machine()
here for the command-line hosts), QMP goes through its client (qmp(),
every command bounded), and COM1 is QEMUMachine's console socket, which
Console reads line by line (into a log file and a queue) and writes the
lines the guest waits for ("go", the --sync handshake of avic-vmm and
l1-vmm.sh).
"""

import queue
import shutil
import tempfile
import threading

from qemu.machine import QEMUMachine
from qemu.qmp import ExecuteError

# No QMP answer for this long: QEMU's main loop is stuck, report it.
QMP_TIMEOUT = 60


def machine(qemu, name, log_dir):
    """A QEMUMachine for QEMU (a binary, or a wrapper that execs one) that
    keeps its log (QEMU's stdout and stderr) in LOG_DIR; (vm, its
    temporary directory, for cleanup())."""
    tmp = tempfile.mkdtemp(prefix=f"{name}-")
    return QEMUMachine(qemu, name=name, base_temp_dir=tmp, log_dir=log_dir), tmp


def cleanup(tmp):
    shutil.rmtree(tmp, ignore_errors=True)


def configure(vm, args):
    """VM (not launched yet) as an L1 machine: q35 and COM1 on its
    console socket, then ARGS (no -machine, no -serial)."""
    vm.set_machine("q35")
    vm.set_console()
    vm.add_args(*args)


def launch(vm):
    """Launch VM; QMP commands are bounded from then on."""
    vm.launch()
    # pylint: disable=protected-access
    vm._qmp.settimeout(QMP_TIMEOUT)


def qmp(vm, name, **args):
    """NAME's return value; RuntimeError("NAME: why") when QEMU refuses
    it, is gone or does not answer within QMP_TIMEOUT.  Once QEMU did
    not answer, every later command fails at once (a stuck main loop
    would cost QMP_TIMEOUT each)."""
    dead = getattr(vm, "irqhint_qmp_dead", None)
    if dead:
        raise RuntimeError(f"{name}: not sent, QMP is gone ({dead})")
    try:
        return vm.cmd(name, args_dict=args)
    except ExecuteError as e:
        raise RuntimeError(f"{name}: {e}") from e
    except Exception as e:          # noqa: BLE001  QEMU gone or not answering
        why = f"{type(e).__name__}: {e}"
        vm.irqhint_qmp_dead = f"{name}: {why}"
        raise RuntimeError(f"{name}: no answer ({why})") from e


def qmp_or_none(vm, name, **args):
    """qmp(), or None when it fails."""
    try:
        return qmp(vm, name, **args)
    except RuntimeError:
        return None


def hmp(vm, line):
    return qmp_or_none(vm, "human-monitor-command", **{"command-line": line})


class Console:
    """The console of VM (launched, configure()d): a thread reads it into
    LOG and a queue of lines (None at the end)."""

    def __init__(self, vm, log):
        self.vm = vm
        self.lines = queue.Queue()
        self.sock = vm.console_socket
        threading.Thread(target=self._reader, args=(log,), daemon=True).start()

    def _reader(self, log):
        with open(log, "wb") as out:
            buf = b""
            try:
                while True:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        break
                    out.write(chunk)
                    out.flush()
                    buf += chunk
                    while b"\n" in buf:
                        ln, buf = buf.split(b"\n", 1)
                        self.lines.put(ln.decode("utf-8", "replace").rstrip("\r"))
            except (OSError, ValueError):   # closed by QEMUMachine's shutdown
                pass
            if buf:
                self.lines.put(buf.decode("utf-8", "replace").rstrip("\r"))
        self.lines.put(None)

    def get(self, timeout):
        """The next line; None at the end; queue.Empty after TIMEOUT s."""
        return self.lines.get(timeout=timeout)

    def send(self, text):
        """Write TEXT to the guest's console (nothing if it is gone)."""
        try:
            self.sock.sendall(text.encode())
        except (OSError, ValueError):
            pass


def finish(vm, exiting):
    """Stop VM: EXITING (the guest powered off, QEMU is on its way out):
    wait for it, send no quit that races with its exit; else (a hang, a
    timeout) kill it.  QEMU's exit status, its log (stdout and stderr),
    and whether it was killed."""
    killed = not exiting
    try:
        if exiting:
            vm.wait(timeout=30)
        else:
            vm.kill()
    except Exception:               # noqa: BLE001  did not exit: killed
        killed = True
        try:
            vm.kill()
        except Exception:           # noqa: BLE001
            pass
    return vm.exitcode(), (vm.get_log() or ""), killed
