#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak drivers: one bounded run of one soak configuration.

    drivers.py --qemu QEMU --fw FWDIR --dir RUNDIR --timeout SECS
               --kind KIND [options of that kind]

The driver interface of tests/functional/irqhint_soak.py (docs/devel/
irqhint-soak.rst): QEMU is started through --qemu only (the soak runner
passes a wrapper that adds its own QMP socket and records QEMU's PID),
every guest console line seen is printed to stdout as it comes (the
runner's progress signal), and RUNDIR/result.json says

    {"status": "pass"|"fail"|"hang"|"error", "sent": N|null,
     "received": N|null, "lost": N, "duplicated": N, "reason": "...",
     "seconds": S}

Exit status: 0 pass, 1 fail (lost/duplicated/wrong result, QEMU
crashed), 2 hang or timeout, 3 setup error.

Kinds (thin adapters around the project's existing tests):

  l1-boot     Debian kernel as L1, q35, -smp 2 -m 2048 -cpu max,svm=on
              [,avic=on], kvm_amd loaded, tests/guest/soak/l1-boot.sh as
              /test.sh (sleep loops on both CPUs, FIFO ping-pong between
              them), launched with qemu.machine.QEMUMachine.  Pass: the
              round trips all came back and the exit line appeared.
  avic        tests/guest/avic/avic_host.py (L1 KVM + avic-vmm; the VMM
              checks every interrupt arrived exactly once, avic_host.py
              reads query-avic around each payload; python/irqhint/avic.py,
              the code of make check's test_x86_64_avic.py).
  iommu       tests/guest/avic/iommu_host.py (edu through VFIO to L2
              behind amd-iommu, running and halted vCPU, --ga on|off;
              python/irqhint/iommu_ga.py).
  idt-shadow  tests/guest/svm's test kernel, test "direct" (guest A's
              device vector, a self-IPI, delivered straight to L2 under
              IDT shadowing, N times in one VMRUN), QEMUMachine; the
              kernel's count checked against query-idt-shadow.
  gim-stress  the gim qtest /gim/stress with a random seed
              (GIM_STRESS_SEED) and --n steps (GIM_STRESS_COUNT): a
              hypervisor and devices acting at random through gim's
              registers, doorbell and guest RAM, every step checked
              against a model of the spec and query-gim; QTEST_QEMU_BINARY
              = --qemu.
"""

import argparse
import importlib.util
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PY = "/usr/bin/python3"

EXIT = {"pass": 0, "fail": 1, "hang": 2, "error": 3}


def add_python_paths():
    """Our python/ and QEMU's python/ (qemu.machine, qemu.qmp)."""
    sys.path.insert(0, os.path.join(REPO, "python"))
    try:
        if importlib.util.find_spec("qemu.machine"):
            return
    except ImportError:
        pass
    b = subprocess.run([os.path.join(REPO, "configure"), "--print-builddir"],
                       capture_output=True, text=True, check=False).stdout.strip()
    if b:
        sys.path.append(os.path.join(os.path.dirname(b), "src", "python"))


def say(line):
    print(line, flush=True)


class Outcome:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()

    def write(self, status, sent=None, received=None, lost=None, duplicated=None,
              reason=""):
        if lost is None:
            lost = max(sent - received, 0) if sent is not None and received is not None else 0
        if duplicated is None:
            duplicated = (max(received - sent, 0)
                          if sent is not None and received is not None else 0)
        if status == "pass" and (lost or duplicated):
            status = "fail"
        res = {"status": status, "sent": sent, "received": received, "lost": lost,
               "duplicated": duplicated, "reason": reason,
               "seconds": round(time.monotonic() - self.t0, 1)}
        with open(os.path.join(self.a.dir, "result.json"), "w") as f:
            json.dump(res, f, indent=1)
        say(f"soak-driver: {status}: sent {sent} received {received} lost {lost} "
            f"duplicated {duplicated}: {reason}")
        return EXIT[status]


def qemu_crash(text):
    """The line of QEMU's stderr that says it crashed, if any."""
    for ln in text.splitlines():
        if re.search(r"Assertion|assertion|Aborted|Segmentation|core dumped|"
                     r"qemu: fatal|Bail out|ERROR:", ln):
            return ln.strip()
    return None


def guest_panic(lines):
    """The guest's first kernel panic or oops line, if any."""
    for ln in lines:
        if re.search(r"Kernel panic - not syncing|BUG: |Oops: |general protection fault", ln):
            return ln.strip()
    return None


# --- helpers: run an existing tool, copying its lines and a console file --


def follow(path, stop, prefix):
    """Print the lines appended to PATH until STOP is set."""
    pos = 0
    buf = ""
    while True:
        done = stop.is_set()
        try:
            with open(path, errors="replace") as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
        except FileNotFoundError:
            chunk = ""
        buf += chunk.replace("\r", "")
        while "\n" in buf:
            ln, buf = buf.split("\n", 1)
            say(prefix + ln)
        if done:
            if buf:
                say(prefix + buf)
            return
        time.sleep(0.5)


def run_tool(cmd, env=None, console=None, timeout=None):
    """Run CMD, printing its output (and CONSOLE's new lines); its status.
    Killed (process group) after TIMEOUT s: status None."""
    say("soak-driver: " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=env, text=True,
                         errors="replace", start_new_session=True)
    stop = threading.Event()
    t = None
    if console:
        t = threading.Thread(target=follow, args=(console, stop, "console: "),
                             daemon=True)
        t.start()
    out = []

    def pump():
        for ln in p.stdout:
            out.append(ln.rstrip("\n"))
            say(ln.rstrip("\n"))

    r = threading.Thread(target=pump, daemon=True)
    r.start()
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        rc = None
    r.join(10)
    stop.set()
    if t:
        t.join(10)
    return rc, out


# --- kinds ------------------------------------------------------------


def machine(a, name):
    """A QEMUMachine on --qemu, its console a socket we read."""
    from qemu.machine import QEMUMachine
    # UNIX socket paths must stay short: QEMUMachine's in /tmp.
    tmp = tempfile.mkdtemp(prefix="soak-")
    vm = QEMUMachine(a.qemu, name=name, base_temp_dir=tmp,
                     log_dir=a.dir, qmp_timer=120)
    vm.set_console()
    return vm, tmp


def read_console(vm, a, deadline, stop_re=None):
    """Print and log every console line until EOF, STOP_RE or DEADLINE;
    the lines, and whether the deadline passed."""
    lines = queue.Queue()

    def reader():
        try:
            f = vm.console_file
            while True:
                b = f.readline()
                if not b:
                    break
                lines.put(b.decode("utf-8", "replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    got = []
    with open(os.path.join(a.dir, "console.log"), "a") as log:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got, True
            try:
                ln = lines.get(timeout=min(left, 1))
            except queue.Empty:
                continue
            if ln is None:
                return got, False
            got.append(ln)
            log.write(ln + "\n")
            log.flush()
            say("console: " + ln)
            if stop_re and re.search(stop_re, ln):
                return got, False


def finish(vm, tmp, a, exiting=False):
    """Stop VM if still running (EXITING: the guest powered off, QEMU is
    on its way out: wait for it, do not send a quit that races with its
    exit); QEMU's stderr and exit status."""
    try:
        if exiting:
            vm.wait(timeout=60)
        else:
            vm.shutdown(timeout=20)
    except Exception as e:  # noqa: BLE001  (QEMU died: still read its log)
        say(f"soak-driver: {'wait' if exiting else 'shutdown'}: {type(e).__name__}: {e}"
            + (": QEMU did not exit within 60 s of the guest's power-off" if exiting else ""))
        try:
            vm.kill()
        except Exception:  # noqa: BLE001
            pass
    text = vm.get_log() or ""
    with open(os.path.join(a.dir, "qemu.log"), "w") as f:
        f.write(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return text, vm.exitcode()


def kind_l1_boot(a, out):
    if not (a.kernel and os.path.exists(a.kernel) and a.initrd and os.path.exists(a.initrd)):
        return out.write("error", reason=f"kernel {a.kernel} or initrd {a.initrd} missing")
    cpu = "max,svm=on" + (",avic=on" if a.avic == "on" else "")
    # no_timer_check: Linux's boot-time count of PIT ticks through the
    # IO-APIC panics ("IO-APIC + timer doesn't work!") when QEMU's timer
    # thread runs late on an oversubscribed host and the PIT's catch-up
    # edges merge (1 of ~60 loaded soak boots); the timer work after boot
    # still counts every tick it waits for.  README, "Known problems".
    append = (f"console=ttyS0 panic=-1 oops=panic loglevel=4 no_timer_check "
              f"kvm_amd.avic={1 if a.avic == 'on' else 0} soak.rounds={a.n}")
    vm, tmp = machine(a, "l1boot")
    vm.set_machine("q35")
    vm.add_args("-accel", "tcg", "-cpu", cpu, "-smp", "2", "-m", "2048",
                "-kernel", a.kernel, "-initrd", a.initrd, "-append", append,
                "-nodefaults", "-no-reboot", "-L", a.fw)
    deadline = time.monotonic() + a.timeout
    try:
        vm.launch()
    except Exception as e:  # noqa: BLE001
        text, _ = finish(vm, tmp, a)
        return out.write("error", reason=f"QEMU did not start: {e}: {text[-300:]}")
    lines, timed_out = read_console(vm, a, deadline)
    if timed_out:
        vm.kill()
    text, rc = finish(vm, tmp, a, exiting=not timed_out)
    sent = received = None
    exit_line = None
    for ln in lines:
        m = re.search(r"SOAK-L1: result sent=(\d+) received=(\d+)", ln)
        if m:
            sent, received = int(m.group(1)), int(m.group(2))
        m = re.search(r"IRQHINT-TEST-EXIT: (\d+)", ln)
        if m:
            exit_line = int(m.group(1))
    irqs = [ln.split("SOAK-L1: ", 1)[1] for ln in lines if "SOAK-L1: interrupts" in ln]
    note = ("round trips between processes pinned to CPU 0 and 1; LOC/RES/CAL are "
            "the guest's own /proc/interrupts, not QEMU counters: "
            + " | ".join(irqs))
    if timed_out:
        return out.write("hang", sent, received, reason=f"no exit line in {a.timeout} s; "
                         + note)
    crash = qemu_crash(text)
    if crash or (rc not in (0, None)):
        return out.write("fail", sent, received,
                         reason=f"QEMU exited with status {rc}: {crash or text[-300:]}")
    panic = guest_panic(lines)
    if panic:
        return out.write("fail", sent, received, reason="L1: " + panic)
    if exit_line == 2:
        return out.write("error", reason="kvm_amd not loaded in L1")
    if exit_line is None:
        return out.write("fail", sent, received,
                         reason="the guest ended without its exit line; " + note)
    if exit_line != 0 or sent is None:
        return out.write("fail", sent, received,
                         reason=f"test exit status {exit_line}; " + note)
    return out.write("pass", sent, received, reason=note)


VMM_FAIL = re.compile(r"vCPU(\d+) vector 0x([0-9a-f]+): (\d+) deliveries, expected (\d+)")


def vmm_counts(vmm_lines):
    """sent, lost, duplicated from the VMM's 'AVIC-VMM: P PASS|FAIL ...'."""
    sent = lost = dup = 0
    fails = []
    seen = 0
    for ln in vmm_lines:
        w = ln.split(None, 3)
        if len(w) < 3 or w[2] not in ("PASS", "FAIL"):
            continue
        seen += 1
        m = re.search(r"ipis=(\d+)", ln)
        sent += int(m.group(1)) if m else 0
        if w[2] == "FAIL":
            fails.append(ln)
            m = VMM_FAIL.search(ln)
            if m:
                got, want = int(m.group(3)), int(m.group(4))
                lost += max(want - got, 0)
                dup += max(got - want, 0)
            elif re.search(r"timeout after \d+ s \(waiting for", ln):
                lost += 1       # the last one sent (ipis=) never arrived
    if not seen:
        return None, 0, 0, fails     # nothing reported: nothing counted
    return sent, lost, dup, fails


def kind_avic(a, out):
    d = os.path.join(a.dir, "avic")
    os.makedirs(d, exist_ok=True)
    payloads = a.payloads or "ping-pong,ipi-halted,self-ipi,msi"
    cmd = [PY, os.path.join(REPO, "tests", "guest", "avic", "avic_host.py"),
           "--qemu", a.qemu, "--fw", a.fw, "--series", a.series, "--avic", a.avic,
           "--kvm-avic", "1", "--dir", d, "--initrd", a.initrd, "--vmm", a.vmm,
           "--payloads", payloads, "--n", str(a.n), "--timeout", str(a.timeout),
           "--vmm-timeout", "60", "--stall", str(a.timeout), "--echo",
           "--json", os.path.join(d, "avic.json"), "--label", f"avic {a.series} {a.avic}"]
    for p in (a.initrd, a.vmm):
        if not p or not os.path.exists(p):
            return out.write("error", reason=f"{p} missing")
    rc, lines = run_tool(cmd, timeout=a.timeout + 60)
    vmm = [ln.split("AVIC-VMM: ", 1)[1] for ln in lines
           if "AVIC-VMM: " in ln and not ln.startswith("  |")]
    vmm = ["AVIC-VMM: " + v for v in vmm]
    sent, lost, dup, fails = vmm_counts(vmm)
    wanted = [p.split(":")[0] for p in payloads.split(",")]
    reported = {ln.split()[1] for ln in vmm if len(ln.split()) > 2
                and ln.split()[2] in ("PASS", "FAIL")}
    missing = [p for p in wanted if p not in reported]
    results = [ln for ln in lines if ln.startswith("AVIC-RESULT: fail")]
    err = ""
    try:
        err = open(os.path.join(d, "qemu.err"), errors="replace").read()
    except OSError:
        pass
    crash = qemu_crash(err)
    xcheck = ("each interrupt counted once per vCPU and vector by the VMM; "
              "query-avic counters checked around each payload by avic_host.py")
    received = None if sent is None else sent - lost + dup
    if rc is None:
        return out.write("hang", sent, received, lost, dup, "avic_host.py ran past its bound")
    if rc == 2:
        return out.write("error", reason="avic_host.py: set-up error (see driver.log)")
    if crash:
        return out.write("fail", sent, received, lost, dup, "QEMU crashed: " + crash)
    panic = guest_panic(ln for ln in lines if ln.startswith("  | "))
    if panic:
        return out.write("fail", sent, received, lost, dup, "L1: " + panic)
    if missing and any("hung" in ln or "timed out" in ln for ln in results):
        return out.write("hang", sent, received, lost, dup,
                         f"payloads {missing} did not report: " + "; ".join(results)[:400])
    if rc != 0 or fails or missing:
        why = "; ".join(fails + results)[:600] or f"status {rc}"
        return out.write("fail", sent, received, lost, dup,
                         (f"payloads {missing} did not report; " if missing else "") + why)
    return out.write("pass", sent, received, lost, dup, xcheck)


def kind_iommu(a, out):
    d = os.path.join(a.dir, "iommu")
    os.makedirs(d, exist_ok=True)
    for p in (a.initrd, a.kernel):
        if not p or not os.path.exists(p):
            return out.write("error", reason=f"{p} missing")
    cmd = [PY, os.path.join(REPO, "tests", "guest", "avic", "iommu_host.py"),
           "--qemu", a.qemu, "--fw", a.fw, "--kernel", a.kernel, "--initrd", a.initrd,
           "--n", str(a.n), "--dir", d, "--timeout", str(a.timeout), "--ga", a.ga,
           "--payload", "msi", "--json", os.path.join(d, "iommu.json"),
           "--label", f"iommu-ga {a.ga}"]
    if a.tick is not None:
        cmd += ["--tick", str(a.tick)]
    # SOAK_TRACE=avic_*,amdvi_ir_*: QEMU trace events into iommu/trace.log
    for t in filter(None, os.environ.get("SOAK_TRACE", "").split(",")):
        cmd += ["--trace", t]
    rc, lines = run_tool(cmd, console=os.path.join(d, "console.log"),
                         timeout=a.timeout + 60)
    vmm = [ln[ln.index("AVIC-VMM: "):] for ln in lines
           if "AVIC-VMM: msi " in ln
           and not ln.startswith(("console: ", "fail\t", "pass\t"))]   # once, not its echoes
    sent, lost, dup, fails = vmm_counts(vmm)
    bad = [ln for ln in lines if ln.startswith("fail\t")]
    console = ""
    try:
        console = open(os.path.join(d, "console.log"), errors="replace").read()
    except OSError:
        pass
    err = ""
    try:
        err = open(os.path.join(d, "qemu.err"), errors="replace").read()
    except OSError:
        pass
    crash = qemu_crash(err)
    received = None if sent is None else sent - lost + dup
    xcheck = ("each MSI counted once by the VMM (running and halted vCPU); "
              "query-amd-iommu-ga doorbells/GA log records and query-avic checked "
              "by iommu_host.py" if a.ga == "on" else
              "each MSI counted once by the VMM (running and halted vCPU); "
              "remapped IRTEs, no GA counters to check")
    if rc is None:
        return out.write("hang", sent, received, lost, dup, "iommu_host.py ran past its bound")
    if crash:
        return out.write("fail", sent, received, lost, dup, "QEMU crashed: " + crash)
    panic = guest_panic(console.splitlines())
    if panic:
        return out.write("fail", sent, received, lost, dup, "L1: " + panic)
    if not vmm:
        return out.write("fail", None, None, 0, 0,
                         f"L1 ended without the VMM's report (status {rc})")
    if rc != 0 or fails or bad:
        return out.write("fail", sent, received, lost, dup,
                         "; ".join(fails + bad)[:600] or f"status {rc}")
    return out.write("pass", sent, received, lost, dup, xcheck)


def kind_idt_shadow(a, out):
    if not a.svm_kernel or not os.path.exists(a.svm_kernel):
        return out.write("error", reason=f"test kernel {a.svm_kernel} missing")
    vm, tmp = machine(a, "idts")
    vm.set_machine("pc")
    vm.add_args("-accel", "tcg", "-cpu", "qemu64,svm=on,idt-shadow=on", "-m", "64",
                "-nodefaults", "-no-reboot", "-L", a.fw, "-kernel", a.svm_kernel,
                "-append", f"{a.test} idts=1 n={a.n} halt",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
    deadline = time.monotonic() + a.timeout
    try:
        vm.launch()
    except Exception as e:  # noqa: BLE001
        text, _ = finish(vm, tmp, a)
        return out.write("error", reason=f"QEMU did not start: {e}: {text[-300:]}")
    lines, timed_out = read_console(vm, a, deadline, r"^IDTS-RESULT: ")
    counters = None
    if not timed_out and any(ln.startswith("IDTS-RESULT: PASS") for ln in lines):
        try:
            counters = vm.cmd("query-idt-shadow")
        except Exception as e:  # noqa: BLE001
            say(f"soak-driver: query-idt-shadow: {e}")
    if timed_out:
        vm.kill()
    text, rc = finish(vm, tmp, a)
    stats = {}
    for ln in lines:
        if ln.startswith("IDTS-STATS "):
            stats = dict(w.split("=", 1) for w in ln.split()[1:] if "=" in w)
    received = int(stats["deliveries"]) if "deliveries" in stats else None
    sent = a.n
    if timed_out:
        return out.write("hang", sent, received, reason=f"no IDTS-RESULT in {a.timeout} s")
    crash = qemu_crash(text)
    if crash:
        return out.write("fail", sent, received, reason="QEMU crashed: " + crash)
    res = next((ln for ln in lines if ln.startswith("IDTS-RESULT: ")), None)
    if res is None or not res.startswith("IDTS-RESULT: PASS"):
        fails = [ln.strip() for ln in lines if ln.strip().startswith("FAIL")]
        return out.write("fail", sent, received,
                         reason=f"{res or 'no result'} (QEMU status {rc}): "
                         + "; ".join(fails)[:500])
    direct = counters[0].get("direct") if counters else None
    if direct is None:
        return out.write("fail", sent, received,
                         reason=f"query-idt-shadow did not answer: {counters}")
    if direct != sent:
        return out.write("fail", sent, received, reason=f"query-idt-shadow direct={direct} "
                         f"for {sent} interrupts (the guest counted {received})")
    return out.write("pass", sent, received,
                     reason=f"guest A's handler counted {received}; query-idt-shadow "
                     f"direct={direct}, exits={counters[0].get('exits')}")


def kind_gim_stress(a, out):
    if not a.qos_test or not os.access(a.qos_test, os.X_OK) or not a.qos_path:
        return out.write("error", reason=f"qos-test {a.qos_test} / path {a.qos_path} missing")
    seed = a.seed if a.seed is not None else random.randrange(1, 1 << 30)
    env = dict(os.environ, QTEST_QEMU_BINARY=a.qemu, GIM_STRESS_SEED=str(seed),
               GIM_STRESS_COUNT=str(a.n))
    rc, lines = run_tool([a.qos_test, "--tap", "-p", a.qos_path], env=env,
                         timeout=a.timeout + 30)
    sent = received = None
    lost = 0
    summary = mismatch = None
    for ln in lines:
        m = re.search(r"gim stress seed \d+: steps=\d+ inputs=(\d+) .*lost=(\d+)", ln)
        if m:
            summary = ln.strip().lstrip("# ")
            sent, lost = int(m.group(1)), int(m.group(2))
            received = sent - lost
        m = re.search(r"gim stress seed \d+: MISMATCH .*", ln)
        if m and not mismatch:
            mismatch = m.group(0)
    crash = qemu_crash("\n".join(lines))
    why = (f"seed {seed}, {a.n} steps of a random hypervisor and devices through "
           f"gim's registers, doorbell and RAM, each checked against the spec's model "
           f"and query-gim; sent = messages posted")
    if rc is None:
        return out.write("hang", sent, received, lost, 0, why)
    if mismatch:
        return out.write("fail", sent, received, 1, 0, f"{mismatch[:400]} ({why})")
    if not summary:
        return out.write("fail" if crash else "error", None, None, 0, 0,
                         f"qos-test printed no stress result (status {rc}): {crash or ''}")
    if rc != 0 or any(ln.startswith("not ok") for ln in lines):
        return out.write("fail", sent, received, lost, 0,
                         f"qos-test status {rc}: {crash or ''} {why}")
    return out.write("pass", sent, received, lost, 0, f"{summary} ({why})")


def kind_memmap(a, out):
    """The test kernel's memmap test (patches/0024a): HPET reads and
    self-IPIs through MMIO while the monitor rewrites the memory map."""
    if not a.svm_kernel or not os.path.exists(a.svm_kernel):
        return out.write("error", reason=f"test kernel {a.svm_kernel} missing")
    rc, lines = run_tool([sys.executable, "-m", "irqhint.svm", "--qemu", a.qemu,
                          "--kernel", a.svm_kernel,
                          "--dir", os.path.join(a.dir, "memmap"), "race",
                          "--n", str(a.n)], timeout=a.timeout,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    serial = os.path.join(a.dir, "memmap", "memmap-1.serial")
    text = open(serial, errors="replace").read() if os.path.exists(serial) else ""
    m = re.search(r"(\d+) self-IPIs .*: (\d+) handled", text)
    sent, received = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    stop = re.search(r"IPI (\d+): not delivered", text)
    if stop:
        sent = int(stop.group(1)) + 1       # the kernel stops at the first lost one
    reads = re.search(r"each gave \w+ \((\d+) did not\)", text)
    why = (f"sent/received: the kernel's self-IPIs and its handler's count; "
           f"HPET reads that went elsewhere: {reads.group(1) if reads else '?'}")
    if rc is None:
        return out.write("hang", sent, received, reason="irqhint.svm race timed out; " + why)
    crash = qemu_crash("\n".join(lines))
    if rc != 0:
        fail = next((ln for ln in lines if ln.startswith("FAILED")), f"status {rc}")
        return out.write("fail", sent, received, reason=f"{crash or fail}; {why}")
    return out.write("pass", sent, received, reason=why)


KINDS = {"l1-boot": kind_l1_boot, "avic": kind_avic, "iommu": kind_iommu,
         "idt-shadow": kind_idt_shadow, "gim-stress": kind_gim_stress,
         "memmap": kind_memmap}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fw", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--timeout", type=int, required=True)
    ap.add_argument("--kind", required=True, choices=sorted(KINDS))
    ap.add_argument("--series", default="6.12")
    ap.add_argument("--avic", default="off", choices=("on", "off"))
    ap.add_argument("--ga", default="on", choices=("on", "off"))
    ap.add_argument("--tick", type=int, help="iommu: L1 CPU to load (the VMM's --tick)")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--vmm")
    ap.add_argument("--payloads")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--svm-kernel")
    ap.add_argument("--test", default="direct")
    ap.add_argument("--qos-test")
    ap.add_argument("--qos-path")
    ap.add_argument("--seed", type=int)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    add_python_paths()
    out = Outcome(a)
    try:
        return KINDS[a.kind](a, out)
    except Exception as e:  # noqa: BLE001  (a driver bug is an error, never a pass)
        import traceback
        traceback.print_exc(file=sys.stdout)
        return out.write("error", reason=f"driver: {type(e).__name__}: {e}")


if __name__ == "__main__":
    sys.exit(main())
