#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The irqhint soak: repeated, bounded runs of several configurations
under host load, with hang detection and state capture (issue 20).

    irqhint_soak.py [--build DIR] [--configs A,B,...] [--jobs N]
                    [--minutes M] [--runs N] [--stall S] [--out DIR]
                    [--list]

Each run is one execution of a *driver* (docs/devel/irqhint-soak.rst):

    DRIVER --qemu WRAPPER --fw FWDIR --dir RUNDIR --timeout SECS [options]

WRAPPER is a script written into RUNDIR that records QEMU's PID
(RUNDIR/qemu.pid) and execs the real binary with the driver's arguments
plus "-qmp unix:SOCK,server=on,wait=off -name soak,debug-threads=on"
(SOCK: a short path in /tmp, named in RUNDIR/soak-qmp.path, since UNIX
socket paths are limited to 108 bytes).  Up to --jobs runs go at once
(the load: 3 QEMUs on a 2-core host by default); the next run is always
of the configuration with the fewest runs so far.  A run is a hang when
its driver prints no new line for --stall seconds (lines that say the
guest is stuck, such as RCU stall warnings, do not count as progress) or
when it is still running after the configuration's bound; then, before
anything is killed, RUNDIR/hang/ gets the console, "info lapic" of every
vCPU (twice, 2 s apart), "info registers -a", query-avic,
query-idt-shadow, query-amd-iommu-ga, query-gim (their errors too), and
QEMU's thread stacks (gdb, and /proc/PID/task/*).  The driver receives a
--timeout 300 s longer than the bound, so that the runner, not the driver,
sees a hang first.

The result of a run is its RUNDIR/result.json (see the driver interface);
a run whose driver exits without one, or with a status that contradicts
its exit status, is an error.  The table, one line per configuration:

    config  runs  pass  fails  hangs  lost  duplicated  errors  slowest(s)

is printed at the end and written to OUT/table.txt (OUT/summary.json has
every run).  Exit status 0 only when there was no fail, hang, lost or
duplicated interrupt and no error.
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"
# The driver's --timeout is this much longer than the run's bound: the
# runner sees a hang first and has the time to save the state (gdb on a
# loaded host) before the driver would give up and kill QEMU.
DRIVER_MARGIN = 300
DRIVERS = os.path.join(REPO, "tests", "guest", "soak", "drivers.py")

# Console lines that a stuck guest keeps printing: not progress.
NOT_PROGRESS = re.compile(r"rcu.*(stall|didn't happen|starved)|soft lockup|"
                          r"blocked for more than|watchdog: BUG|hung_task|"
                          r"NMI backtrace|Possible timer handling issue")


class Config:
    """One soak configuration: a driver and its options.

    PREP is a function (runner) -> list of more options, run once before
    the first run (the images the runs share); it raises SetupError.
    TIMEOUT bounds one run.  CHEAP: part of the short soak of make check.
    """

    def __init__(self, name, driver, opts, timeout, prep=None, cheap=False, what=""):
        self.name = name
        self.driver = driver
        self.opts = opts
        self.timeout = timeout
        self.prep = prep
        self.cheap = cheap
        self.what = what


class SetupError(Exception):
    pass


# --- preparation: the images every run of a configuration shares ------------


def _sh(runner, log, cmd, env=None):
    path = os.path.join(runner.prep_dir, log)
    with open(path, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                           stdin=subprocess.DEVNULL, check=False)
    if r.returncode != 0:
        raise SetupError(f"{' '.join(cmd[:3])}... failed (status {r.returncode}, "
                         f"log {path})")


def kernel(runner, series):
    def make():
        _sh(runner, f"kernel-{series}.log",
            [os.path.join(REPO, "scripts", "guest-kernel.sh"), "--series", series])
        return subprocess.run(
            [os.path.join(REPO, "scripts", "guest-kernel.sh"), "--series", series,
             "--get", "vmlinuz"], capture_output=True, text=True, check=True).stdout.strip()
    return runner.once(f"kernel-{series}", make)


def test_asset(runner, target):
    """A test asset of tests/meson.build (scripts/test-assets.sh), built
    once: its path."""
    def make():
        _sh(runner, f"{target}.log", [os.path.join(REPO, "scripts", "test-assets.sh"),
                                      runner.build, target])
        return os.path.join(os.path.dirname(runner.build), "check", target)
    return runner.once(target, make)


def avic_vmm(runner):
    return test_asset(runner, "avic-vmm")


def initrd(runner, name, series, modules, files):
    def make():
        path = os.path.join(runner.prep_dir, f"{name}-{series}.cpio.gz")
        env = dict(os.environ, IRQHINT_KO="none", FAKE_KO="none", EXTRA_MODULES=modules,
                   IRQHINT_GUEST_SERIES=series)
        kernel(runner, series)
        _sh(runner, f"{name}-{series}.log",
            [os.path.join(REPO, "guest", "tools", "mkinitramfs.sh"), path] + files(), env)
        return path
    return runner.once(f"initrd-{name}-{series}", make)


def prep_l1_boot(series):
    def prep(runner):
        k = kernel(runner, series)
        i = initrd(runner, "l1-boot", series, "kvm kvm-amd",
                   lambda: [os.path.join(REPO, "tests", "guest", "soak", "l1-boot.sh")
                            + ":test.sh"])
        return ["--kernel", k, "--initrd", i]
    return prep


def prep_avic(series):
    def prep(runner):
        vmm = avic_vmm(runner)
        i = initrd(runner, "avic", series, "kvm kvm-amd",
                   lambda: [os.path.join(REPO, "tests", "guest", "avic", "l1-test.sh")
                            + ":test.sh", vmm + ":bin/avic-vmm"])
        return ["--vmm", vmm, "--initrd", i]
    return prep


def prep_iommu(series):
    def prep(runner):
        vmm = avic_vmm(runner)
        k = kernel(runner, series)
        i = initrd(runner, "iommu", series,
                   "kvm kvm-amd vfio vfio-iommu-type1 vfio-pci-core vfio-pci",
                   lambda: [os.path.join(REPO, "tests", "guest", "avic", "l1-iommu.sh")
                            + ":test.sh", vmm + ":bin/avic-vmm"])
        return ["--kernel", k, "--initrd", i]
    return prep


def prep_svm(runner):
    return ["--svm-kernel", test_asset(runner, "svm-tests.elf")]


def prep_gim(runner):
    qos = os.path.join(runner.build, "tests", "qtest", "qos-test")
    if not os.access(qos, os.X_OK):
        raise SetupError(f"{qos} not built")
    env = dict(os.environ, QTEST_QEMU_BINARY=runner.qemu)
    paths = subprocess.run([qos, "-l"], capture_output=True, text=True, env=env,
                           check=False).stdout.split()
    path = next((p for p in paths if p.endswith("/gim/gim-tests/stress")), None)
    if not path:
        raise SetupError("qos-test lists no /gim/gim-tests/stress")
    return ["--qos-test", qos, "--qos-path", path]


def prep_vmm(series):
    """Debian's QEMU and the L1/L2 images (scripts/guest-vmm.sh via
    mkimages.sh: a download on a fresh machine) before the runs, so that
    no run's stall clock counts them."""
    def prep(runner):
        if not os.path.exists(VMM_DRIVER):
            raise SetupError(f"driver missing: {os.path.relpath(VMM_DRIVER, REPO)}")
        mk = os.path.join(REPO, "tests", "guest", "vmm", "mkimages.sh")
        runner.once(f"vmm-{series}", lambda: _sh(runner, f"vmm-images-{series}.log",
                                                 [mk, "--series", series]))
        return []
    return prep


# The vmm helper's driver (a real VMM, Debian's qemu-system-x86, inside
# L1): its own options follow the interface's common ones.
VMM_DRIVER = os.path.join(REPO, "tests", "guest", "vmm", "vmm_host.py")
AVIC_PAYLOADS = "ping-pong,ipi-halted,self-ipi,msi"

CONFIGS = [
    Config("l1-boot-6.12", DRIVERS, ["--kind", "l1-boot", "--series", "6.12", "--avic", "off"],
           300, prep_l1_boot("6.12"), cheap=True,
           what="Debian 6.12 L1, kvm_amd loaded, -cpu max,svm=on, -smp 2 -m 2048"),
    Config("l1-boot-6.12-avic", DRIVERS,
           ["--kind", "l1-boot", "--series", "6.12", "--avic", "on"], 300, prep_l1_boot("6.12"),
           what="the same with -cpu max,svm=on,avic=on, kvm_amd avic=1"),
    Config("l1-boot-6.1", DRIVERS, ["--kind", "l1-boot", "--series", "6.1", "--avic", "off"],
           300, prep_l1_boot("6.1"), what="Debian 6.1 L1, kvm_amd loaded"),
    Config("l1-boot-6.1-avic", DRIVERS, ["--kind", "l1-boot", "--series", "6.1", "--avic", "on"],
           300, prep_l1_boot("6.1"), what="Debian 6.1 L1, avic=on, kvm_amd avic=1"),
    Config("avic-vmm-on", DRIVERS,
           ["--kind", "avic", "--series", "6.12", "--avic", "on", "--n", "1000",
            "--payloads", AVIC_PAYLOADS], 300, prep_avic("6.12"), cheap=True,
           what="L1 KVM (6.12, avic=1) + avic-vmm: " + AVIC_PAYLOADS),
    Config("avic-vmm-off", DRIVERS,
           ["--kind", "avic", "--series", "6.12", "--avic", "off", "--n", "1000",
            "--payloads", AVIC_PAYLOADS], 300, prep_avic("6.12"),
           what="the same without AVIC"),
    Config("iommu-ga-on", DRIVERS,
           ["--kind", "iommu", "--series", "6.12", "--ga", "on", "--n", "1000"], 300,
           prep_iommu("6.12"), what="edu via VFIO to L2 behind amd-iommu ga-vapic=on"),
    Config("iommu-ga-off", DRIVERS,
           ["--kind", "iommu", "--series", "6.12", "--ga", "off", "--n", "3000"], 300,
           prep_iommu("6.12"), what="the same without ga-vapic (remapped)"),
    Config("iommu-ga-off-tick", DRIVERS,
           ["--kind", "iommu", "--series", "6.12", "--ga", "off", "--n", "3000",
            "--tick", "1"], 300, prep_iommu("6.12"),
           what="the same with L1 loaded where the running vCPU is (a thread waking "
                "every 50 us on L1 CPU 1)"),
    Config("idt-shadow", DRIVERS, ["--kind", "idt-shadow", "--test", "direct", "--n", "100000"],
           120, prep_svm, cheap=True,
           what="L2 under IDT shadowing, 100000 device vectors delivered direct"),
    Config("tcg-memmap", DRIVERS, ["--kind", "memmap", "--n", "1000"], 120, prep_svm,
           cheap=True, what="10^6 HPET reads and 10^4 self-IPIs through MMIO while the "
           "monitor rewrites Q35's PAM (memory map) registers"),
    Config("gim-stress", DRIVERS, ["--kind", "gim-stress", "--n", "5000"], 120, prep_gim,
           cheap=True, what="the gim qtest stress, 5000 random hypervisor and device steps "
           "through gim's registers, doorbell and RAM, each checked; random seeds"),
    Config("vmm-avic-on", VMM_DRIVER,
           ["--series", "6.12", "--avic", "on", "--n", "2000", "--stall", "300"], 900,
           prep_vmm("6.12"),
           what="Debian's qemu-system-x86 7.2 in L1 (6.12, kvm_amd avic=1) runs a 2-vCPU "
           "Linux L2: pipe ping-pong and membarrier IPIs"),
    Config("vmm-avic-off", VMM_DRIVER,
           ["--series", "6.12", "--avic", "off", "--n", "2000", "--stall", "300"], 900,
           prep_vmm("6.12"),
           what="the same, AVIC off"),
    Config("vmm-6.1-avic-on", VMM_DRIVER,
           ["--series", "6.1", "--avic", "on", "--n", "2000", "--stall", "300"], 900,
           prep_vmm("6.1"),
           what="the same with a 6.1 L1 and L2, AVIC on"),
    Config("vmm-iommu-ga", VMM_DRIVER,
           ["--series", "6.12", "--avic", "on", "--iommu", "ga", "--n", "1000", "--stall", "300"],
           900, prep_vmm("6.12"), what="the same with a virtio-rng behind amd-iommu ga-vapic=on "
           "given to L2 by vfio-pci, read on a running and a halted vCPU"),
    Config("vmm-iommu-on", VMM_DRIVER,
           ["--series", "6.12", "--avic", "on", "--iommu", "on", "--n", "1000", "--stall", "300"],
           900, prep_vmm("6.12"), what="the same without ga-vapic (remapped, not posted)"),
]
BY_NAME = {c.name: c for c in CONFIGS}


# --- QMP without qemu.qmp: every step bounded, for a QEMU that may hang ------


class RawQmp:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rw")
        greeting = self.f.readline()
        if not greeting:
            raise OSError("no QMP greeting")
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            ln = self.f.readline()
            if not ln:
                raise OSError("QMP connection closed")
            r = json.loads(ln)
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error'].get('desc')}")

    def hmp(self, line, cpu=None):
        args = {"command-line": line}
        if cpu is not None:
            args["cpu-index"] = cpu
        return self.cmd("human-monitor-command", **args)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def capture_state(rundir, pid, sock, log):
    """Save what a hung QEMU shows into RUNDIR/hang/ (QEMU left running)."""
    d = os.path.join(rundir, "hang")
    os.makedirs(d, exist_ok=True)

    def put(name, text):
        with open(os.path.join(d, name), "w") as f:
            f.write(text if text.endswith("\n") else text + "\n")

    # The console as the driver saw it, and the consoles it wrote.
    for c in glob.glob(os.path.join(rundir, "**", "console.log"), recursive=True):
        if os.path.dirname(c) != d:
            shutil.copy(c, os.path.join(d, "console-" + os.path.relpath(c, rundir)
                                        .replace("/", "_")))
    if pid:
        try:
            put("qemu-cmdline.txt", open(f"/proc/{pid}/cmdline").read().replace("\0", " "))
            put("qemu-status.txt", open(f"/proc/{pid}/status").read())
        except OSError as e:
            put("qemu-cmdline.txt", f"QEMU {pid}: {e}")
    # QMP/HMP.
    mon = None
    try:
        mon = RawQmp(sock)
    except (OSError, ValueError, RuntimeError) as e:
        put("qmp-error.txt", f"QMP at {sock}: {type(e).__name__}: {e} "
            "(QEMU's main loop stopped or QEMU gone): no monitor state")
    if mon:
        out = {}
        try:
            out["query-status"] = mon.cmd("query-status")
            cpus = mon.cmd("query-cpus-fast")
            out["query-cpus-fast"] = cpus
        except (OSError, ValueError, RuntimeError) as e:
            cpus = []
            out["query-cpus-fast"] = f"error: {e}"
        for sample in (1, 2):
            text = []
            for c in cpus:
                i = c.get("cpu-index")
                try:
                    apic = mon.cmd("qom-get", path=c["qom-path"], property="apic-id")
                    line = f"info lapic {apic}"
                    r = mon.hmp(line)
                except (OSError, ValueError, RuntimeError) as e:
                    line, r = "info lapic (cpu-index)", f"apic-id: {e}\n"
                    try:
                        r += mon.hmp("info lapic", cpu=i)
                    except (OSError, ValueError, RuntimeError) as e2:
                        r += f"error: {e2}"
                text.append(f"=== vCPU {i} (thread {c.get('thread-id')}): {line}\n{r}")
            put(f"lapic-{sample}.txt", "\n".join(text) or "no vCPUs listed")
            if sample == 1:
                time.sleep(2)
        for name, hmp in (("registers.txt", "info registers -a"),
                          ("info-avic.txt", "info avic"),
                          ("info-idt-shadow.txt", "info idt-shadow"),
                          ("info-gim.txt", "info gim"),
                          ("info-irq.txt", "info irq")):
            try:
                put(name, mon.hmp(hmp))
            except (OSError, ValueError, RuntimeError) as e:
                put(name, f"{hmp}: error: {e}")
        for q in ("query-avic", "query-idt-shadow", "query-amd-iommu-ga", "query-gim"):
            try:
                out[q] = mon.cmd(q)
            except (OSError, ValueError, RuntimeError) as e:
                out[q] = f"error: {e}"
        with open(os.path.join(d, "qmp.json"), "w") as f:
            json.dump(out, f, indent=1)
        mon.close()
    # Thread stacks: /proc first (instant), then gdb.
    if pid:
        text = []
        for t in sorted(glob.glob(f"/proc/{pid}/task/*"), key=lambda p: int(p.split("/")[-1])):
            parts = [f"--- thread {os.path.basename(t)}"]
            for f in ("comm", "wchan", "stat", "stack"):
                try:
                    parts.append(f"{f}: " + open(os.path.join(t, f)).read().strip())
                except OSError as e:
                    parts.append(f"{f}: {e.strerror}")
            text.append("\n".join(parts))
        put("stacks-proc.txt", "\n".join(text) or f"no /proc/{pid}/task")
        gdb = shutil.which("gdb")
        if gdb:
            try:
                r = subprocess.run([gdb, "-p", str(pid), "-batch", "-nx",
                                    "-ex", "set pagination off",
                                    "-ex", "thread apply all bt"],
                                   capture_output=True, text=True, errors="replace",
                                   timeout=180, stdin=subprocess.DEVNULL, check=False)
                put("stacks-gdb.txt", r.stdout + r.stderr)
            except subprocess.TimeoutExpired:
                put("stacks-gdb.txt", "gdb did not finish in 180 s")
        else:
            put("stacks-gdb.txt", "no gdb (scripts/install-deps.sh installs it); "
                "see stacks-proc.txt")
    log(f"  state saved in {d}")


def alive(pid):
    """PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# --- the runner ------------------------------------------------------------


class Run:
    def __init__(self, cfg, index, rundir):
        self.cfg = cfg
        self.index = index
        self.dir = rundir
        self.status = None
        self.sent = self.received = None
        self.lost = self.dup = 0
        self.seconds = 0.0
        self.reason = ""

    def as_dict(self):
        return {"config": self.cfg.name, "run": self.index, "dir": self.dir,
                "status": self.status, "sent": self.sent, "received": self.received,
                "lost": self.lost, "duplicated": self.dup, "seconds": self.seconds,
                "reason": self.reason}


class Runner:
    def __init__(self, build, out, configs, jobs=3, minutes=None, runs=None, stall=150,
                 qemu=None, fw=None, quiet=False, bound=None):
        self.build = build
        self.qemu = qemu or os.path.join(build, "qemu-system-x86_64")
        self.fw = fw or os.path.join(build, "qemu-bundle", "usr", "local", "share", "qemu")
        self.out = out
        self.prep_dir = os.path.join(out, "prep")
        self.configs = configs
        self.jobs = jobs
        self.deadline = time.monotonic() + minutes * 60 if minutes else None
        self.runs = runs
        self.stall = stall
        self.bound = bound          # overrides each configuration's bound
        self.quiet = quiet
        self.lock = threading.Lock()
        self.memo = {}
        self.memo_locks = {}
        self.prepped = {}
        self.started = {c.name: 0 for c in configs}
        self.results = []
        self.sockdir = tempfile.mkdtemp(prefix="soak-")
        os.makedirs(self.prep_dir, exist_ok=True)
        self.logf = open(os.path.join(out, "soak.log"), "a")

    def log(self, text):
        line = time.strftime("%H:%M:%S ") + text
        with self.lock:
            self.logf.write(line + "\n")
            self.logf.flush()
            if not self.quiet:
                print(line, flush=True)

    def once(self, key, make):
        """make()'s value, computed once (SetupError remembered)."""
        with self.lock:
            lk = self.memo_locks.setdefault(key, threading.Lock())
        with lk:
            if key not in self.memo:
                try:
                    self.memo[key] = (True, make())
                except (SetupError, OSError, subprocess.SubprocessError) as e:
                    self.memo[key] = (False, SetupError(str(e)))
            ok, v = self.memo[key]
            if not ok:
                raise v
            return v

    def options(self, cfg):
        return self.once("config-" + cfg.name,
                         lambda: cfg.prep(self) if cfg.prep else [])

    def next_run(self):
        with self.lock:
            if self.deadline and time.monotonic() > self.deadline:
                return None
            cands = [c for c in self.configs
                     if self.runs is None or self.started[c.name] < self.runs]
            if not cands:
                return None
            cfg = min(cands, key=lambda c: self.started[c.name])
            self.started[cfg.name] += 1
            return cfg, self.started[cfg.name]

    def wrapper(self, rundir, sock):
        # qtest wants the name to end in -system-ARCH.
        path = os.path.join(rundir, "soak-" + os.path.basename(self.qemu))
        with open(path, "w") as f:
            f.write("#!/bin/sh\n"
                    "# Written by tests/functional/irqhint_soak.py for this run.\n"
                    f"echo $$ > '{rundir}/qemu.pid'\n"
                    f"echo \"$$ $*\" >> '{rundir}/qemu-cmdlines.txt'\n"
                    f"exec '{self.qemu}' \"$@\" -qmp 'unix:{sock},server=on,wait=off' "
                    "-name soak,debug-threads=on\n")
        os.chmod(path, 0o755)
        return path

    def one(self, cfg, index):
        rundir = os.path.join(self.out, cfg.name, f"run-{index:04d}")
        shutil.rmtree(rundir, ignore_errors=True)
        os.makedirs(rundir)
        run = Run(cfg, index, rundir)
        t0 = time.monotonic()
        try:
            opts = cfg.opts + self.options(cfg)
        except SetupError as e:
            run.status, run.reason = "error", str(e)
            return self.done(run)
        bound = self.bound or cfg.timeout
        t0 = time.monotonic()       # the run, not the shared preparation
        sock = os.path.join(self.sockdir, f"{cfg.name}-{index}.qmp")
        with open(os.path.join(rundir, "soak-qmp.path"), "w") as f:
            f.write(sock + "\n")
        cmd = [cfg.driver, "--qemu", self.wrapper(rundir, sock), "--fw", self.fw,
               "--dir", rundir, "--timeout", str(bound + DRIVER_MARGIN)] + opts
        if cfg.driver.endswith(".py"):
            cmd = [PY] + cmd
        with open(os.path.join(rundir, "driver-cmdline.txt"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.join(REPO, "python"), os.path.join(os.path.dirname(self.build), "src",
                                                        "python")]
            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        progress = [time.monotonic()]
        log = open(os.path.join(rundir, "driver.log"), "w")
        try:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        except OSError as e:
            run.status, run.reason = "error", f"driver did not start: {e}"
            return self.done(run)

        def pump():
            for b in p.stdout:
                ln = b.decode("utf-8", "replace").rstrip("\n")
                log.write(f"{time.monotonic() - t0:8.1f} {ln}\n")
                log.flush()
                if ln.strip() and not NOT_PROGRESS.search(ln):
                    progress[0] = time.monotonic()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        hang = None
        while p.poll() is None:
            now = time.monotonic()
            if now - progress[0] > self.stall:
                hang = f"no progress for {self.stall} s"
            elif now - t0 > bound:
                hang = f"not done after {bound} s"
            if hang:
                break
            time.sleep(1)
        if hang:
            pid = None
            try:
                pid = int(open(os.path.join(rundir, "qemu.pid")).read())
                os.kill(pid, 0)
            except (OSError, ValueError):
                pid = None
            self.log(f"{cfg.name} #{index}: HANG ({hang}); saving state (QEMU pid {pid})")
            try:
                capture_state(rundir, pid, sock, self.log)
            except Exception as e:  # noqa: BLE001  (capture must not stop the soak)
                self.log(f"  capture failed: {type(e).__name__}: {e}")
            self.kill(p, pid)
            run.status, run.reason = "hang", hang
        reader.join(30)
        log.close()
        run.seconds = round(time.monotonic() - t0, 1)
        self.read_result(run, p.returncode, hang)
        # A QEMU the driver left behind (this run's, by its recorded PID).
        try:
            pid = int(open(os.path.join(rundir, "qemu.pid")).read())
            if os.path.exists(f"/proc/{pid}") and \
               rundir in open(f"/proc/{pid}/cmdline").read():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        try:
            os.unlink(sock)
        except OSError:
            pass
        return self.done(run)

    @staticmethod
    def kill(p, pid):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            pass
        # QEMU is the driver's child: gone once its new parent reaped it.
        for _ in range(100):
            if not pid or not alive(pid):
                break
            time.sleep(0.1)

    def read_result(self, run, rc, hang):
        path = os.path.join(run.dir, "result.json")
        res = None
        try:
            with open(path) as f:
                res = json.load(f)
        except (OSError, ValueError) as e:
            if not hang:
                run.status = "error"
                run.reason = (f"driver exited with status {rc} and no result.json ({e})"
                              if rc != 3 else "driver: set-up error (status 3, no result.json)")
        if res:
            run.sent, run.received = res.get("sent"), res.get("received")
            run.lost = int(res.get("lost") or 0)
            run.dup = int(res.get("duplicated") or 0)
            if not hang:
                st = res.get("status")
                want = {"pass": 0, "fail": 1, "hang": 2, "error": 3}.get(st)
                run.reason = res.get("reason", "")
                if want is None or want != rc:
                    run.status = "error"
                    run.reason = f"driver exit status {rc} but result.json says {st}: " \
                        + run.reason
                else:
                    run.status = st
        if run.status == "pass" and (run.lost or run.dup):
            run.status = "fail"

    def done(self, run):
        with self.lock:
            self.results.append(run)
            with open(os.path.join(run.dir, "soak-run.json"), "w") as f:
                json.dump(run.as_dict(), f, indent=1)
        counts = "" if run.sent is None else \
            f" sent {run.sent} received {run.received} lost {run.lost} dup {run.dup}"
        self.log(f"{run.cfg.name} #{run.index}: {run.status} {run.seconds} s{counts}"
                 + (f": {run.reason[:300]}" if run.status != "pass" else ""))
        return run

    def worker(self):
        while True:
            n = self.next_run()
            if n is None:
                return
            self.one(*n)

    def run(self):
        self.log(f"soak: {', '.join(c.name for c in self.configs)}; {self.jobs} at once; "
                 + (f"{self.runs} runs each" if self.runs else "")
                 + (f", until {time.strftime('%H:%M', time.localtime(time.time() + self.deadline - time.monotonic()))}"
                    if self.deadline else "")
                 + f"; stall {self.stall} s; logs {self.out}")
        ts = [threading.Thread(target=self.worker) for _ in range(self.jobs)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        shutil.rmtree(self.sockdir, ignore_errors=True)
        return self.summary()

    def summary(self):
        rows = []
        for c in self.configs:
            rs = [r for r in self.results if r.cfg is c]
            rows.append({
                "config": c.name, "runs": len(rs),
                "pass": sum(r.status == "pass" for r in rs),
                "fails": sum(r.status == "fail" for r in rs),
                "hangs": sum(r.status == "hang" for r in rs),
                "lost": sum(r.lost for r in rs),
                "duplicated": sum(r.dup for r in rs),
                "errors": sum(r.status == "error" for r in rs),
                "slowest": max((r.seconds for r in rs), default=0.0),
                "hang_dirs": [r.dir for r in rs if r.status == "hang"],
            })
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump({"rows": rows, "runs": [r.as_dict() for r in self.results]}, f,
                      indent=1)
        text = table(rows)
        with open(os.path.join(self.out, "table.txt"), "w") as f:
            f.write(text + "\n")
        return rows, text


def table(rows):
    head = (f"{'config':<20} {'runs':>5} {'pass':>5} {'fails':>5} {'hangs':>5} "
            f"{'lost':>6} {'duplicated':>10} {'errors':>6} {'slowest(s)':>10}")
    lines = [head]
    for r in rows:
        lines.append(f"{r['config']:<20} {r['runs']:>5} {r['pass']:>5} {r['fails']:>5} "
                     f"{r['hangs']:>5} {r['lost']:>6} {r['duplicated']:>10} "
                     f"{r['errors']:>6} {r['slowest']:>10.1f}")
    return "\n".join(lines)


def clean(rows):
    return all(r["runs"] and r["runs"] == r["pass"] for r in rows)


def builddir():
    return subprocess.run([os.path.join(REPO, "configure"), "--print-builddir"],
                          capture_output=True, text=True, check=True).stdout.strip()


def main(argv=None):
    env = os.environ
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="QEMU build directory [./configure --print-builddir]")
    ap.add_argument("--configs", default=env.get("SOAK_CONFIGS") or "",
                    help="comma/space separated [SOAK_CONFIGS; all]")
    ap.add_argument("--jobs", type=int, default=int(env.get("SOAK_JOBS") or 3))
    ap.add_argument("--minutes", type=float,
                    default=float(env["SOAK_MINUTES"]) if env.get("SOAK_MINUTES") else None)
    ap.add_argument("--runs", type=int,
                    default=int(env["SOAK_RUNS"]) if env.get("SOAK_RUNS") else None)
    ap.add_argument("--stall", type=int, default=int(env.get("SOAK_STALL") or 150))
    ap.add_argument("--out", default=env.get("SOAK_DIR"))
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args(argv)
    if a.list:
        for c in CONFIGS:
            print(f"{c.name:<20} {'cheap ' if c.cheap else ''}bound {c.timeout} s: {c.what}")
        return 0
    names = a.configs.replace(",", " ").split() or [c.name for c in CONFIGS]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        print(f"irqhint_soak: unknown configurations {unknown}; --list shows them",
              file=sys.stderr)
        return 2
    if a.minutes is None and a.runs is None:
        a.minutes, a.runs = DEFAULT_MINUTES, 200
    build = a.build or builddir()
    out = a.out or os.path.join(build, "irqhint-soak", time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(out, exist_ok=True)
    r = Runner(build, out, [BY_NAME[n] for n in names], jobs=a.jobs, minutes=a.minutes,
               runs=a.runs, stall=a.stall)
    rows, text = r.run()
    print()
    print(text)
    for row in rows:
        for d in row["hang_dirs"]:
            if os.path.isdir(os.path.join(d, "hang")):
                print(f"hang: {d}/hang")
            else:
                print(f"hang reported by the driver (QEMU already gone, no state saved): {d}")
    print(f"(logs: {out})")
    return 0 if clean(rows) else 1


# make soak's default bound (minutes), for SOAK_RUNS=200 of every
# configuration: on this project's 2-core host, 3 runs at once and other
# work beside, a run takes 25-45 s (l1-boot-*), 30-48 s (avic-vmm-*),
# about 50 s (iommu-ga-*), 10-40 s (gim-stress), 2-3 s (idt-shadow): one
# run of each of these 10 is about 330 s of runs, 110 s of wall time at 3
# at once, so 200 of each about 6 hours; the vmm-* runs (a VMM booting an L2 inside
# L1) are bounded at 600 s and take a few minutes each.  12 hours leaves
# room for them; the soak ends earlier, as soon as every configuration
# has its 200 runs.
DEFAULT_MINUTES = 720

if __name__ == "__main__":
    sys.exit(main())
