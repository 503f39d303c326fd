#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A Linux guest of QEMU's, booted with a control channel: the launcher
of every Linux guest test, the demo and the benchmarks.

QEMU runs as a qemu.machine.QEMUMachine (QEMU's own launcher, and its
QMP client), pinned to one host CPU, the first this process may use, so
that every thread that raises an interrupt runs there and hints are
deterministic.  The console (COM1) goes to a file; the second serial
port (ttyS1 in the guest) is a control channel over which the guest
script (guest/tools/guest-lib.sh is its side) asks this side to act.

Protocol, one line each way ("\\n"-terminated):
    guest -> host   REQ SEQ COMMAND [ARGS]   a request; answered in order
                    OUT TEXT                  a line for the host to print
    host -> guest   OK SEQ [TEXT]             done (TEXT: the result)
                    ERR SEQ MESSAGE           failed

Commands (see Session.handlers):
    place K        management placement: vCPU K on the host CPU that raises
                   the interrupts (the one QEMU is pinned to), every other
                   vCPU on another host CPU; answers "raise=R other=O"
    clear          irqhint-clear-placement for every vCPU
    qmp NAME [JSON]  any QMP command; answers the compact JSON return value
    hmp LINE       human-monitor-command; the output is printed on the host
    pin K          pins vCPU K's thread to the raising host CPU and the
                   other vCPU threads to another (bench); answers
                   "vcpu:hostcpu ..."
    place-one K S  management placement of vCPU K alone on host CPU slot S
                   (0: the raising host CPU, where QEMU is pinned; 1: the
                   other); answers "K@HOSTCPU"
    pin-iothread ID S  pins iothread ID's thread (query-iothreads) to host
                   CPU slot S; answers "ID:TID@HOSTCPU"
    pin-main S     pins QEMU's main thread to host CPU slot S
    sources        answers "DEV.FN/INDEX@HOSTCPU->APICIDS ..." for every
                   published source (query-irqhint)
    sleep-host S   the host sleeps S seconds (pacing; answers after)

The guest script ends with a line "IRQHINT-TEST-EXIT: N" on the console
and powers off; N is the session's status.  Otherwise: 124 timeout,
123 QEMU failed, 125 no IRQHINT-TEST-EXIT line, 126 QEMU did not start.

As a program (python3 -m irqhint.guest):
    [--qemu Q] [--kernel K] --initrd I --log L [--append A]... [--smp N]
    [--timeout S] [--transcript F] [--boot-log F] [--echo] [-- QEMU ARGS]
exits with the session's status.
"""

import argparse
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from qemu.machine import QEMUMachine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXIT_TIMEOUT, EXIT_QEMU, EXIT_NO_RESULT, EXIT_NO_START = 124, 123, 125, 126


def default_qemu():
    build = subprocess.run([os.path.join(ROOT, "configure"), "--print-builddir"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(build, "qemu-system-x86_64")


def default_kernel():
    return subprocess.run([os.path.join(ROOT, "scripts", "guest-kernel.sh"), "--get",
                           "vmlinuz"], capture_output=True, text=True,
                          check=True).stdout.strip()


def fw_dir(qemu):
    """The firmware directory of the build QEMU belongs to, if any."""
    base = os.path.dirname(os.path.abspath(qemu))
    for d in (os.path.join(base, "qemu-bundle", "usr", "local", "share", "qemu"),
              os.path.join(base, "pc-bios")):
        if os.path.exists(os.path.join(d, "bios-256k.bin")):
            return d
    return None


def linux_args(kernel, initrd, console, append="", smp=4, mem=512, machine="q35",
               cpu=None, qemu=None):
    """QEMU arguments that boot KERNEL + INITRD under TCG, console (COM1)
    to the file CONSOLE; for QEMUMachine (which adds -display none and
    its QMP monitor)."""
    args = ["-machine", machine, "-accel", "tcg", "-smp", str(smp), "-m", str(mem),
            "-kernel", kernel, "-initrd", initrd,
            "-append", f"console=ttyS0 panic=-1 oops=panic loglevel=7 {append}".strip(),
            "-nodefaults", "-no-reboot",
            "-chardev", f"file,id=con,path={console}", "-serial", "chardev:con"]
    fw = fw_dir(qemu) if qemu else None
    if fw:
        args += ["-L", fw]
    if cpu:
        args += ["-cpu", cpu]
    return args


def usable_cpus():
    return sorted(os.sched_getaffinity(0))


class Session:
    """One guest boot.  start(), then serve() until the guest powers off."""

    def __init__(self, initrd, log, qemu=None, append=(), qemu_args=(),
                 timeout=300, smp=4, transcript=None, out=None, echo=False,
                 boot_log=None, kernel=None):
        self.initrd = initrd
        self.kernel = kernel
        self.log = log
        self.qemu = qemu
        self.append = list(append)
        self.qemu_args = list(qemu_args)
        self.timeout = timeout
        self.smp = smp
        self.echo = echo
        self.boot_log = open(boot_log, "w") if boot_log else None
        self.out = out or (lambda text: print(text, flush=True))
        self.transcript = open(transcript, "w") if transcript else None
        cpus = usable_cpus()
        self.raise_cpu = cpus[0]
        self.other_cpu = cpus[1] if len(cpus) > 1 else None
        self.placement = {}
        self.dir = tempfile.mkdtemp(prefix="irqhint-guest-")
        self.vm = None
        self.ctl = None
        self.handlers = {
            "place": self.h_place,
            "clear": self.h_clear,
            "qmp": self.h_qmp,
            "hmp": self.h_hmp,
            "pin": self.h_pin,
            "place-one": self.h_place_one,
            "pin-iothread": self.h_pin_iothread,
            "pin-main": self.h_pin_main,
            "sources": self.h_sources,
            "sleep-host": self.h_sleep,
        }

    def note(self, text):
        if self.transcript:
            self.transcript.write(f"{time.monotonic():.3f} {text}\n")
            self.transcript.flush()

    def start(self, machine=None):
        """Launch QEMU paused (-S), connect the control channel, run it.
        MACHINE: a QEMUMachine to use (a functional test's self.vm), not
        yet launched; by default one of our own."""
        ctl_path = os.path.join(self.dir, "ctl.sock")
        qemu = self.qemu or default_qemu()
        kernel = self.kernel or default_kernel()
        wrapper = ["taskset", "-c", str(self.raise_cpu)]
        if machine is None:
            machine = QEMUMachine(qemu, wrapper=wrapper, base_temp_dir=self.dir,
                                  log_dir=self.dir)
        else:
            # Pin QEMU as our own launch would.
            machine._wrapper = wrapper      # pylint: disable=protected-access
        self.vm = machine
        if os.path.exists(self.log):
            os.unlink(self.log)
        os.makedirs(os.path.dirname(os.path.abspath(self.log)), exist_ok=True)
        open(self.log, "w").close()
        self.vm.add_args(*linux_args(kernel, self.initrd, self.log, " ".join(self.append),
                                     self.smp, qemu=qemu),
                         "-serial", f"unix:{ctl_path},server=on,wait=off", "-S",
                         *self.qemu_args)
        self.note("start " + " ".join(self.vm.args))
        self.deadline = time.monotonic() + self.timeout
        try:
            self.vm.launch()
        except Exception as e:
            log = self.vm.get_log() or ""
            raise RuntimeError(f"QEMU did not start: {e}: {log.strip()[-800:]}") from e
        self.ctl = self._connect(ctl_path)
        self.ctl_buf = b""
        self.vm.cmd("cont")

    def _connect(self, path):
        deadline = time.monotonic() + 60
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if not self.vm.is_running() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def send(self, line):
        self.note("> " + line)
        self.ctl.sendall((line + "\n").encode())

    def _echo(self):
        if not self.echo:
            return
        with open(self.log, "rb") as f:
            f.seek(self.echoed)
            data = f.read()
        self.echoed += len(data)
        if data:
            sys.stdout.write(data.decode(errors="replace"))
            sys.stdout.flush()

    def serve(self):
        """Answer requests until QEMU exits or the time is up; the
        session's status (see the module's doc)."""
        eof = False
        self.echoed = 0
        while self.vm.is_running():
            self._echo()
            if time.monotonic() > self.deadline:
                self.note("timeout")
                self.vm.kill()
                return EXIT_TIMEOUT
            if eof:
                time.sleep(0.2)
                continue
            r, _, _ = select.select([self.ctl], [], [], 0.5)
            if not r:
                continue
            data = self.ctl.recv(65536)
            if not data:
                eof = True
                continue
            self.ctl_buf += data
            while b"\n" in self.ctl_buf:
                raw, self.ctl_buf = self.ctl_buf.split(b"\n", 1)
                self.handle(raw.decode(errors="replace").rstrip("\r"))
        try:
            self.vm.shutdown()
        except Exception:           # it powered off: its QMP is gone
            pass
        self._echo()
        rc = self.vm.exitcode()
        if rc != 0:
            self.note(f"QEMU exited with status {rc}: {(self.vm.get_log() or '')[-500:]}")
            return EXIT_QEMU
        with open(self.log, errors="replace") as f:
            status = re.findall(r"^IRQHINT-TEST-EXIT: (\d+)", f.read(), re.M)
        if not status:
            self.note(f"no IRQHINT-TEST-EXIT line in {self.log}")
            return EXIT_NO_RESULT
        return int(status[-1])

    def handle(self, line):
        self.note("< " + line)
        if line.startswith("OUT"):
            self.out(line[4:])
            return
        parts = line.split(" ", 3)
        if len(parts) < 3 or parts[0] != "REQ":
            return      # noise (e.g. before the guest set the port up)
        seq, cmd = parts[1], parts[2]
        arg = parts[3] if len(parts) > 3 else ""
        fn = self.handlers.get(cmd)
        try:
            if fn is None:
                raise RuntimeError(f"unknown command {cmd}")
            reply = fn(arg) or ""
            self.send(f"OK {seq} {reply}".rstrip())
        except Exception as e:       # the guest reports it as a failure
            msg = " ".join(str(e).split())
            self.send(f"ERR {seq} {msg}")

    # Handlers: ARG string in, reply text out (or raise).

    def h_place(self, arg):
        k = int(arg)
        if self.other_cpu is None:
            raise RuntimeError("placement needs two host CPUs, this process "
                               "may use one")
        vcpus = self.cmd("query-cpus-fast")
        for v in vcpus:
            i = v["cpu-index"]
            host = self.raise_cpu if i == k else self.other_cpu
            self.cmd("irqhint-set-placement", **{"cpu-index": i,
                                                     "host-cpu": host})
            self.placement[i] = host
        return f"raise={self.raise_cpu} other={self.other_cpu}"

    def h_clear(self, arg):
        self.cmd("irqhint-clear-placement")
        self.placement = {}
        return ""

    def h_qmp(self, arg):
        name, _, js = arg.partition(" ")
        args = json.loads(js) if js.strip() else {}
        return json.dumps(self.cmd(name, **args), separators=(",", ":"))

    def h_hmp(self, arg):
        for line in self.hmp(arg).rstrip("\n").split("\n"):
            self.out(line.rstrip("\r"))
        return ""

    def h_pin(self, arg):
        """Pin vCPU K's thread to the raising host CPU, the others' to
        another: what irqhint finds by itself (placement source "pinned")."""
        k = int(arg)
        if self.other_cpu is None:
            raise RuntimeError("pinning apart needs two host CPUs, this "
                               "process may use one")
        # The threads' IDs once: a QMP round trip per pin would be counted
        # in the guest's re-pin latency (bench/locality.sh).
        if not getattr(self, "vcpu_tids", None):
            self.vcpu_tids = {v["cpu-index"]: v["thread-id"]
                              for v in self.cmd("query-cpus-fast")}
        done = []
        # The wall clock before the first re-pin, the one QEMU's trace
        # log (-msg timestamp=on) uses: bench/locality.sh times the
        # guest's MSI-X rewrite from it.
        at = time.time()
        for index, tid in sorted(self.vcpu_tids.items()):
            host = self.raise_cpu if index == k else self.other_cpu
            os.sched_setaffinity(tid, {host})
            done.append(f"{index}:{host}")
        return " ".join(done) + f" at={at:.6f}"

    def slot_cpu(self, slot):
        """Host CPU slot 0 (the raising one) or 1 (the other)."""
        if slot not in ("0", "1"):
            raise RuntimeError(f"host CPU slot {slot!r}: 0 or 1")
        if slot == "1" and self.other_cpu is None:
            raise RuntimeError("slot 1 needs two host CPUs, this process "
                               "may use one")
        return self.raise_cpu if slot == "0" else self.other_cpu

    def h_place_one(self, arg):
        k, slot = arg.split()
        host = self.slot_cpu(slot)
        self.cmd("irqhint-set-placement", **{"cpu-index": int(k),
                                                 "host-cpu": host})
        self.placement[int(k)] = host
        return f"{k}@{host}"

    def h_pin_main(self, arg):
        """Pin QEMU's main thread (the main loop, which raises emulated
        devices' interrupts under TCG) to host CPU slot 0 or 1; the reply
        ends with the wall clock before the re-pin, as pin's does."""
        host = self.slot_cpu(arg.strip())
        vcpu = self.cmd("query-cpus-fast")[0]["thread-id"]
        with open(f"/proc/{vcpu}/status") as f:
            main = next(int(line.split()[1]) for line in f
                        if line.startswith("Tgid:"))
        at = time.time()
        os.sched_setaffinity(main, {host})
        return f"main:{main}@{host} at={at:.6f}"

    def h_pin_iothread(self, arg):
        """Pin an iothread (-object iothread,id=ID) to one host CPU: the
        thread that raises its devices' completion interrupts."""
        name, slot = arg.split()
        host = self.slot_cpu(slot)
        for t in self.cmd("query-iothreads"):
            if t["id"] == name:
                os.sched_setaffinity(t["thread-id"], {host})
                return f"{name}:{t['thread-id']}@{host}"
        raise RuntimeError(f"no iothread {name}")

    def h_sources(self, arg):
        """Each published source's last raising host CPU and hint."""
        info = self.cmd("query-irqhint")
        return " ".join(
            f"{s['devfn'] >> 3:02x}.{s['devfn'] & 7}/{s['index']}"
            f"@{s.get('host-cpu', '?')}->{','.join(map(str, s['hint']))}"
            for s in info["sources"] if s["published"])

    def h_sleep(self, arg):
        time.sleep(float(arg))
        return ""

    def cmd(self, name, **args):
        return self.vm.cmd(name, args_dict=args)

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def close(self):
        if self.ctl:
            self.ctl.close()
        if self.vm is not None and self.vm.is_running():
            try:
                self.vm.shutdown(timeout=15)
            except Exception:       # killed: nothing more to do
                pass
        if self.boot_log and self.vm is not None:
            self.boot_log.write(self.vm.get_log() or "")
        if self.transcript:
            self.transcript.close()
        if self.boot_log:
            self.boot_log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--append", action="append", default=[])
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--transcript", help="log of the control channel")
    ap.add_argument("--boot-log", help="QEMU's own output goes here")
    ap.add_argument("--echo", action="store_true",
                    help="copy the console to stdout")
    a = ap.parse_args(argv)
    s = Session(a.initrd, a.log, qemu=a.qemu, append=a.append,
                qemu_args=extra, timeout=a.timeout, smp=a.smp,
                transcript=a.transcript, echo=a.echo, boot_log=a.boot_log,
                kernel=a.kernel)
    try:
        s.start()
        rc = s.serve()
    except Exception as e:
        print(f"irqhint.guest: {e}", file=sys.stderr)
        rc = EXIT_NO_START
    finally:
        s.close()
    sys.exit(rc)


if __name__ == "__main__":
    main()
