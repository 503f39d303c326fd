#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak driver: a real, unmodified VMM inside L1 (issue 20).

One bounded run.  Boots the Debian kernel (--series) as L1 under the
given QEMU (TCG) with

    -machine q35 -accel tcg -cpu max,svm=on[,avic=on] -smp 2 -m 2048

and kvm_amd.avic=1|0; L1's /test.sh (l1-vmm.sh) runs Debian 12's own
qemu-system-x86_64 7.2 with -enable-kvm -smp 2, booting the same kernel
as L2, whose /test.sh runs the IPI workload ipiload: N pipe round trips
between processes pinned to the two L2 vCPUs and M membarrier calls that
IPI the other vCPU (tests/guest/vmm/README.md).  Images are built (and
cached) by mkimages.sh.

Checks, in result.json (the soak driver interface: status, sent, received,
lost, duplicated, reason, seconds; exit status below):
  - the workload's result line: every pipe message came back once, in
    order (sent = messages written + membarrier calls, received = messages
    read back with the expected number + membarrier calls that returned;
    duplicated = messages read twice);
  - --avic on: kvm_amd reports AVIC, QEMU ran L2 with AVIC (query-avic
    avic-vmruns grew), and the IPIs the L2 received (its /proc/interrupts
    RES+CAL increase around the workload) are at most the IPIs QEMU's
    AVIC took from the L2 over the whole run (ipis + incomplete-ipi): an
    IPI of an AVIC guest (xAPIC) reaches it only through an ICR write that
    AVIC handles, unless KVM inhibited AVIC meanwhile (it does, briefly,
    while L2 boots: IRQWIN), so a count above the bound fails the run
    only when KVM never inhibited AVIC, else it is reported as
    inconclusive.  A lower bound would not be sound: a wake-up needs no
    IPI when the target still polls, IPIs of one vector to one target
    coalesce in IRR, and AVIC deliveries include L2's timer; QEMU's
    incomplete-ipi and noaccel equal the L1 KVM tracepoints
    kvm_avic_incomplete_ipi and kvm_avic_unaccelerated_access (each such
    #VMEXIT traced once by KVM's handler; skipped on a trace overrun);
  - --avic off: L2 ran under nested SVM (vmruns grew), none with AVIC,
    and no AVIC counter grew;
  - --iommu on|ga: L1 also gets -device amd-iommu,intremap=on[,ga-vapic=on]
    and a virtio-rng-pci (iommu_platform=on), which L1 binds to vfio-pci
    and gives to L2 (-device vfio-pci,host=BDF); L2 reads /dev/hwrng
    --rng times with the device's interrupts on its running vCPU, then
    --rng times on its halted one: every read must complete (they count
    in sent/received).  query-amd-iommu-ga: no errors, no overflows;
    with ga and AVIC on, guest mode on and interrupts posted, the GA log
    records QEMU wrote equal to L1 KVM's kvm_avic_ga_log tracepoint count,
    and the device interrupts L2 took bounded by those posted (reported
    as inconclusive, not failed, above it: KVM injects them itself while
    it re-routes an IRTE); without ga or AVIC nothing is posted.
A run with no console line for --stall seconds, or past --timeout, is a
hang: the console, `info lapic` of each vCPU and `info registers -a`
(twice, 10 s apart), query-avic, query-amd-iommu-ga and the QEMU thread
stacks (gdb) are saved into DIR/hang/ (and copied to --hang-dir/vmm-TIME
when given).

QEMU (--qemu: a binary, or the soak runner's wrapper that execs one) is
a qemu.machine.QEMUMachine (python/irqhint/l1.py, as for the AVIC tests):
COM1 is its console socket, QMP goes through its client, every command
bounded; QEMU's stdout and stderr are in RUNDIR/qemu.err.

Usage:
    vmm_host.py --qemu QEMU [--fw FWDIR] --dir RUNDIR [--timeout SECS]
                [--series 6.1|6.12] [--avic on|off] [--n N] [--mb M]
                [--iommu off|on|ga] [--rng K] [--stall SECS]
                [--hang-dir DIR] [--qemu-arg ARG]...
Exit status: 0 pass, 1 fail, 2 hang or timeout, 3 setup error.
"""

import argparse
import datetime
import json
import os
import queue
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "guest", "avic"))
from avic_host import add_python_paths  # noqa: E402  pylint: disable=wrong-import-position

add_python_paths()
from irqhint import l1  # noqa: E402  pylint: disable=wrong-import-position
COUNTERS = ("vmruns", "avic-vmruns", "vmexits", "deliveries", "ipis",
            "doorbells", "incomplete-ipi", "noaccel", "errors")
# kvm_apicv_inhibit_changed reason KVM sets on every new VM and clears
# when it gets its irqchip (6.1 and 6.12 both number it 2).
INHIBIT_ABSENT = 2


def sum_avic(cpus):
    tot = {k: 0 for k in COUNTERS}
    tot["codes"] = {}
    for c in cpus or []:
        for k in COUNTERS:
            tot[k] += int(c.get(k, 0))
        for e in c.get("vmexit-codes", []):
            tot["codes"][e["code"]] = tot["codes"].get(e["code"], 0) + int(e["count"])
    return tot


class Run:
    def __init__(self, a):
        self.a = a
        self.t0 = time.monotonic()
        self.log_f = open(os.path.join(a.dir, "driver.log"), "w")
        self.l1 = {"avic": None, "dmesg-avic": None, "trace": {}, "inhibits": [],
                   "overrun": None,
                   "kvmstat": {}, "qemu-exit": None}
        self.result_line = None
        self.l2 = {}
        self.test_exit = None
        self.avic0 = self.avic1 = None
        self.has_avic = False
        self.has_ga = False
        self.ga0 = self.ga1 = None
        self.hang = None
        self.panic = None
        self.killed = False
        self.vm = None
        self.con = None
        self.cmdline = []
        self.qemu_err = ""

    def log(self, text):
        text = f"vmm_host: {text}"
        print(text, flush=True)
        self.log_f.write(text + "\n")
        self.log_f.flush()

    def images(self):
        r = subprocess.run([os.path.join(HERE, "mkimages.sh"), "--series", self.a.series],
                           capture_output=True, text=True)
        with open(os.path.join(self.a.dir, "mkimages.log"), "w") as f:
            f.write(r.stderr)
        if r.returncode:
            raise RuntimeError("mkimages.sh failed: " + r.stderr.strip()[-500:])
        env = dict(ln.split("=", 1) for ln in r.stdout.split("\n") if "=" in ln)
        return env["KERNEL"], env["INITRD"]

    def qemu_args(self, kernel, initrd):
        """QEMU's arguments but the machine and COM1 (l1.configure())."""
        a = self.a
        cpu = "max,svm=on" + (",avic=on" if a.avic == "on" else "")
        kvm_avic = "1" if a.avic == "on" else "0"
        append = (f"console=ttyS0 panic=-1 loglevel=4 kvm_amd.avic={kvm_avic} "
                  f"vmm.n={a.n} vmm.mb={a.mb} vmm.sync=1")
        if a.iommu != "off":
            # Linux's boot-time PIT check panics with interrupt remapping
            # when an oversubscribed host delays QEMU's timer thread (see
            # python/irqhint/iommu_ga.py); it skips it under KVM.
            append += f" no_timer_check vmm.rng={a.rng}"
        args = ["-accel", "tcg", "-cpu", cpu, "-smp", "2", "-m", "2048",
                "-kernel", kernel, "-initrd", initrd, "-append", append,
                "-nodefaults", "-no-reboot"]
        if a.iommu != "off":
            args += ["-device", "amd-iommu,intremap=on" +
                     (",ga-vapic=on" if a.iommu == "ga" else ""),
                     "-device", "virtio-rng-pci,disable-legacy=on,iommu_platform=on"]
        if a.fw:
            args += ["-L", a.fw]
        return args + a.qemu_arg

    # --- a hang: keep the evidence ------------------------------------
    def evidence(self, console):
        d = os.path.join(self.a.dir, "hang")
        os.makedirs(d, exist_ok=True)
        self.log(f"saving hang evidence in {d}")
        vm = self.vm

        def cmd(name, **args):
            return l1.qmp_or_none(vm, name, **args)

        cpus = cmd("query-cpus-fast") or []
        for sample in (1, 2):
            with open(os.path.join(d, f"lapic-{sample}.txt"), "w") as f:
                for c in cpus:
                    idx = c.get("cpu-index")
                    # Each human-monitor-command is a fresh monitor: name
                    # the APIC in the command, not with "cpu N".
                    apic = cmd("qom-get", path=c.get("qom-path", ""),
                               property="apic-id")
                    apic = idx if apic is None else apic
                    f.write(f"=== cpu-index {idx} apic-id {apic} "
                            f"(thread {c.get('thread-id')})\n")
                    f.write((l1.hmp(vm, f"info lapic {apic}") or "(no answer)") + "\n")
            with open(os.path.join(d, f"registers-{sample}.txt"), "w") as f:
                f.write(l1.hmp(vm, "info registers -a") or "(no answer)")
            with open(os.path.join(d, f"query-avic-{sample}.json"), "w") as f:
                json.dump(cmd("query-avic"), f, indent=1)
            with open(os.path.join(d, f"query-amd-iommu-ga-{sample}.json"), "w") as f:
                json.dump(cmd("query-amd-iommu-ga"), f, indent=1)
            if sample == 1:
                time.sleep(10)
        with open(os.path.join(d, "query-cpus-fast.json"), "w") as f:
            json.dump(cpus, f, indent=1)
        with open(os.path.join(d, "stacks.txt"), "w") as f:
            # Each thread's name, state and kernel stack; then gdb's
            # backtraces, where gdb is installed.
            pid = vm.get_pid()
            task = f"/proc/{pid}/task"
            for t in sorted(os.listdir(task)) if os.path.isdir(task) else []:
                f.write(f"=== thread {t}\n")
                for name in ("comm", "wchan", "stat", "stack"):
                    try:
                        with open(os.path.join(task, t, name)) as g:
                            f.write(f"{name}: {g.read().strip()}\n")
                    except OSError:
                        pass
            if shutil.which("gdb") and vm.is_running():
                try:
                    r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx",
                                        "-ex", "thread apply all bt"],
                                       capture_output=True, text=True, timeout=120)
                    f.write(r.stdout + r.stderr)
                except subprocess.TimeoutExpired:
                    f.write("gdb: timed out\n")
            else:
                f.write("(no gdb: no user-space backtraces)\n")
        with open(os.path.join(d, "console.log"), "w") as f:
            f.write("\n".join(console) + "\n")
        if self.a.hang_dir:
            dst = os.path.join(self.a.hang_dir, "vmm-" + datetime.datetime.now(
                datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ") +
                f"-{self.a.series}-avic{self.a.avic}")
            shutil.copytree(d, dst)
            with open(os.path.join(dst, "run.txt"), "w") as f:
                f.write(" ".join(self.cmdline) + "\n" + (self.hang or "") + "\n")
            self.log(f"hang evidence copied to {dst}")

    def answer(self):
        """The line l1-vmm.sh waits for (vmm.sync=1) before powering off."""
        self.con.send("go\n")

    # --- console lines -------------------------------------------------
    def on_line(self, line):
        if line.startswith("VMM-L1: "):
            rest = line[8:]
            w = rest.split()
            if rest.startswith("kvm_amd avic="):
                self.l1["avic"] = rest.split("=", 1)[1]
            elif rest.startswith("dmesg-avic "):
                self.l1["dmesg-avic"] = w[1]
            elif rest.startswith("trace-overrun ") and len(w) == 2:
                self.l1["overrun"] = int(w[1])
            elif rest.startswith("trace ") and len(w) == 3:
                self.l1["trace"][w[1]] = int(w[2])
            elif rest.startswith("inhibit "):
                self.l1["inhibits"].append(rest[8:])
            elif rest.startswith("kvmstat ") and len(w) == 3:
                self.l1["kvmstat"][w[1]] = w[2]
            elif rest.startswith("qemu exit "):
                self.l1["qemu-exit"] = int(w[2])
                self.avic1 = l1.qmp_or_none(self.vm, "query-avic") if self.has_avic else None
                self.ga1 = (l1.qmp_or_none(self.vm, "query-amd-iommu-ga")
                            if self.has_ga else None)
                self.answer()
        elif line.startswith("L2| IPILOAD-RESULT: "):
            self.result_line = line[4:]
            for kv in line.split()[2:]:
                k, _, v = kv.partition("=")
                self.l2[k] = v
        elif line.startswith("IRQHINT-TEST-EXIT: "):
            self.test_exit = int(line.split()[1])
        elif ("Kernel panic" in line or "BUG:" in line) and not self.panic:
            self.panic = line

    def boot(self, kernel, initrd):
        """One boot on a QEMUMachine (irqhint.l1: QMP through its client,
        COM1 its console socket); QEMU's exit status."""
        a = self.a
        vm, tmp = l1.machine(a.qemu, "vmm", a.dir)
        self.vm = vm
        l1.configure(vm, self.qemu_args(kernel, initrd))
        self.cmdline = [a.qemu] + vm.args
        self.log(" ".join(self.cmdline))
        console = []
        exiting = False
        try:
            l1.launch(vm)
            self.con = l1.Console(vm, os.path.join(a.dir, "console.log"))
            cmds = {c["name"] for c in (l1.qmp_or_none(vm, "query-commands") or [])}
            self.has_avic = "query-avic" in cmds
            self.avic0 = l1.qmp_or_none(vm, "query-avic") if self.has_avic else None
            if "query-amd-iommu-ga" in cmds:
                self.ga0 = l1.qmp_or_none(vm, "query-amd-iommu-ga")
                self.has_ga = self.ga0 is not None
            deadline = self.t0 + a.timeout
            last = time.monotonic()
            while True:
                now = time.monotonic()
                if now > deadline:
                    self.hang = f"timeout: the run took more than {a.timeout} s"
                    break
                if now - last > a.stall:
                    self.hang = f"no console line for {a.stall} s"
                    break
                try:
                    line = self.con.get(timeout=min(5, deadline - now + 0.1))
                except queue.Empty:
                    continue
                if line is None:
                    # The console closes just before QEMU exits.
                    exiting = True
                    break
                last = time.monotonic()
                console.append(line)
                print(line, flush=True)
                self.on_line(line)
            if self.hang:
                self.log(f"*** hang: {self.hang} ***")
                self.evidence(console)
        except Exception as e:          # noqa: BLE001  QEMU did not start
            self.log(f"QEMU failed: {type(e).__name__}: {e}")
        finally:
            rc, err, self.killed = l1.finish(vm, exiting)
            l1.cleanup(tmp)
        with open(os.path.join(a.dir, "qemu.err"), "w") as f:
            f.write(err)
        self.qemu_err = err.strip()
        if self.qemu_err:
            self.log("QEMU stderr: " + self.qemu_err.replace("\n", "\n    "))
        return rc

    # --- the verdict -------------------------------------------------
    def verdict(self, rc):
        a = self.a
        notes = []
        bad = []
        res = {"status": "pass", "sent": None, "received": None, "lost": 0,
               "duplicated": 0, "reason": "", "seconds": 0.0}
        l2 = self.l2
        if l2:
            ps, pr = int(l2["pipe_sent"]), int(l2["pipe_received"])
            dup, order = int(l2["pipe_dup"]), int(l2["pipe_order"])
            mc, mo = int(l2["mb_calls"]), int(l2["mb_ok"])
            res["sent"] = ps + mc
            res["received"] = pr + mo
            res["duplicated"] = dup
            res["lost"] = max(0, res["sent"] - res["received"])
            rx_ipis = sum(int(x) for x in l2["res"].split(",")) + \
                sum(int(x) for x in l2["cal"].split(","))
            notes.append(f"workload: {ps}/{2 * a.n} pipe messages sent, {pr} received "
                         f"in order, {dup} duplicated, {order} out of order; "
                         f"membarrier {mo}/{mc} of {a.mb}; L2 IPIs received "
                         f"RES {l2['res']} CAL {l2['cal']}; {l2['seconds']} s")
            if ps != 2 * a.n or pr != ps or dup or order or mc != a.mb or mo != mc:
                bad.append("the workload lost, duplicated or reordered messages "
                           "or membarrier calls")
            if a.iommu != "off":
                rr, ro = int(l2.get("rng_reads", 0)), int(l2.get("rng_ok", 0))
                rng_irq = int(l2.get("rng_irq", 0))
                res["sent"] += rr
                res["received"] += ro
                res["lost"] = max(0, res["sent"] - res["received"])
                notes.append(f"assigned virtio-rng: {ro}/{rr} reads of {2 * a.rng} "
                             f"completed, {rng_irq} device interrupts in L2")
                if rr != 2 * a.rng or ro != rr:
                    bad.append("reads of the assigned virtio-rng lost or not done")
        else:
            rx_ipis = None
            bad.append("no IPILOAD-RESULT line from L2")
        if self.panic:
            bad.append(f"kernel: {self.panic}")
        if rc and not self.killed:
            # QEMU itself died (an abort, an assertion): never a pass.
            bad.append(f"our QEMU exited with status {rc}" +
                       (f": {self.qemu_err[-300:]}" if self.qemu_err else ""))
        # QEMU's own counters.
        if not self.has_avic:
            notes.append("no query-avic in this QEMU: nothing cross-checked")
        elif self.avic0 is None or self.avic1 is None:
            # The counters exist: a run that could not read them is not
            # a pass.
            (bad if l2 else notes).append(
                "query-avic not sampled around the run: nothing cross-checked")
        else:
            s0, s1 = sum_avic(self.avic0), sum_avic(self.avic1)
            d = {k: s1[k] - s0[k] for k in COUNTERS}
            codes = {c: n - s0["codes"].get(c, 0) for c, n in s1["codes"].items()}
            codes = {f"{c:#x}": n for c, n in sorted(codes.items()) if n}
            res["query-avic"] = dict(d, codes=codes)
            notes.append("query-avic over the run: " +
                         " ".join(f"{k}={d[k]}" for k in COUNTERS) +
                         " #VMEXITs by code: " +
                         " ".join(f"{c}:{n}" for c, n in codes.items()))
            if d["vmruns"] <= 0:
                bad.append("no VMRUN: L1 ran no L2")
            if a.avic == "on":
                inhib = [i for i in self.l1["inhibits"] if self.inhibit_reason(i)]
                if self.l1["dmesg-avic"] != "enabled":
                    bad.append("kvm_amd did not enable AVIC")
                if d["avic-vmruns"] <= 0:
                    bad.append("no VMRUN with AVIC enabled")
                if d["errors"]:
                    bad.append(f"{d['errors']} VMRUNs refused for a bad AVIC setup")
                # Every AVIC_INCOMPLETE_IPI / AVIC_NOACCEL #VMEXIT QEMU
                # made reaches KVM's handler, which traces it once.
                tr = self.l1["trace"]
                for qname, tname in (("incomplete-ipi", "kvm_avic_incomplete_ipi"),
                                     ("noaccel", "kvm_avic_unaccelerated_access")):
                    if tname not in tr or self.l1["overrun"] != 0:
                        notes.append(f"{qname} not cross-checked (no {tname} count, "
                                     f"or trace overrun {self.l1['overrun']})")
                    elif tr[tname] == d[qname]:
                        notes.append(f"cross-checked: QEMU's {qname} {d[qname]} == "
                                     f"L1 KVM's {tname} {tr[tname]}")
                    else:
                        bad.append(f"QEMU made {d[qname]} {qname} #VMEXITs, L1 KVM "
                                   f"handled {tr[tname]} ({tname})")
                sent_avic = d["ipis"] + d["incomplete-ipi"]
                if rx_ipis is None:
                    pass
                elif rx_ipis <= sent_avic:
                    notes.append(f"cross-checked: L2 received {rx_ipis} IPIs <= "
                                 f"{sent_avic} IPIs through AVIC (ipis "
                                 f"{d['ipis']} + incomplete-ipi {d['incomplete-ipi']})")
                elif inhib:
                    # While KVM inhibits AVIC, it delivers the L2's IPIs
                    # itself: the bound does not hold then.
                    notes.append(f"IPI cross-check inconclusive: L2 received {rx_ipis} "
                                 f"IPIs, AVIC took {sent_avic}, and KVM inhibited "
                                 "AVIC (" + "; ".join(inhib) + ")")
                else:
                    bad.append(f"L2 received {rx_ipis} IPIs but AVIC took only "
                               f"{sent_avic} from it (ipis + incomplete-ipi) and "
                               "KVM never inhibited AVIC")
                    res["duplicated"] = max(res["duplicated"], rx_ipis - sent_avic)
            else:
                if d["avic-vmruns"]:
                    bad.append(f"{d['avic-vmruns']} VMRUNs with AVIC while it is off")
                if d["ipis"] or d["doorbells"] or d["deliveries"]:
                    bad.append("AVIC counters grew while it is off")
        if self.l1["inhibits"]:
            notes.append("KVM AVIC inhibit changes (count event): " +
                         "; ".join(self.l1["inhibits"]))
        if a.iommu != "off":
            self.check_ga(notes, bad, int(self.l2.get("rng_irq", -1)) if self.l2 else None)
        if self.l1["trace"]:
            notes.append("L1 KVM tracepoints: " + " ".join(
                f"{k}={v}" for k, v in self.l1["trace"].items()))
        ks = {k: self.l1["kvmstat"][k] for k in ("exits", "irq_injections",
                                                 "halt_wakeup", "halt_exits")
              if k in self.l1["kvmstat"]}
        if ks:
            notes.append("L1 KVM stats (last sample): " +
                         " ".join(f"{k}={v}" for k, v in ks.items()))
        if self.hang:
            res["status"] = "hang"
            bad.insert(0, f"hang: {self.hang}")
        elif bad:
            res["status"] = "fail"
        elif self.l1["qemu-exit"] != 0 or self.test_exit != 0:
            res["status"] = "fail"
            bad.append(f"L1 QEMU exit {self.l1['qemu-exit']}, L1 test exit "
                       f"{self.test_exit}")
        res["reason"] = "; ".join(bad + notes)
        res["seconds"] = round(time.monotonic() - self.t0, 1)
        res["config"] = {"series": a.series, "avic": a.avic, "iommu": a.iommu,
                         "n": a.n, "mb": a.mb, "rng": a.rng if a.iommu != "off" else 0}
        res["qemu-status"] = rc
        return res

    def check_ga(self, notes, bad, rng_irq):
        """query-amd-iommu-ga around the run (--iommu on|ga)."""
        a = self.a
        if not self.has_ga or self.ga1 is None:
            notes.append("no query-amd-iommu-ga answer: the IOMMU not cross-checked")
            return
        g = {k: self.ga1[k] - self.ga0.get(k, 0) for k in self.ga1
             if isinstance(self.ga1[k], int) and not isinstance(self.ga1[k], bool)}
        notes.append("query-amd-iommu-ga over the run: " + " ".join(
            f"{k}={g[k]}" for k in ("posted", "doorbells", "doorbell-misses",
                                    "log-records", "log-interrupts", "overflows",
                                    "unlogged", "errors") if k in g) +
                     f" (guest-mode {self.ga1.get('guest-mode')})")
        if g.get("errors"):
            bad.append(f"amd-iommu: {g['errors']} interrupts or GA log records lost "
                       "to a bad address")
        if g.get("overflows"):
            bad.append(f"amd-iommu: {g['overflows']} GA log records lost (log full)")
        if a.iommu == "ga" and a.avic == "on":
            if not self.ga1.get("guest-mode"):
                bad.append("amd-iommu: guest vAPIC mode never enabled by L1")
            elif g.get("posted", 0) <= 0:
                bad.append("amd-iommu: no interrupt posted (KVM did not put the "
                           "assigned device's IRTEs in guest mode)")
            # Each GA log record QEMU wrote is read by L1's amd_iommu,
            # whose notifier KVM traces once (kvm_avic_ga_log).
            tr = self.l1["trace"].get("kvm_avic_ga_log")
            if tr is None or self.l1["overrun"] != 0:
                notes.append("GA log records not cross-checked (no kvm_avic_ga_log "
                             f"count, or trace overrun {self.l1['overrun']})")
            elif tr == g.get("log-records"):
                notes.append(f"cross-checked: QEMU's GA log records {tr} == L1 KVM's "
                             "kvm_avic_ga_log")
            else:
                bad.append(f"amd-iommu wrote {g.get('log-records')} GA log records, "
                           f"L1 KVM handled {tr} (kvm_avic_ga_log)")
            # The device's interrupts L2 took came posted by the IOMMU,
            # unless an IRTE was out of guest mode meanwhile (while KVM
            # re-routes it: then KVM injects them itself).
            if rng_irq is not None and rng_irq >= 0:
                if rng_irq <= g.get("posted", 0):
                    notes.append(f"cross-checked: L2 took {rng_irq} device interrupts "
                                 f"<= {g.get('posted')} posted by the IOMMU")
                else:
                    notes.append(f"device interrupts not bounded by posted ones: L2 "
                                 f"took {rng_irq}, the IOMMU posted {g.get('posted')} "
                                 "(KVM injects while an IRTE is remapped: inconclusive)")
        elif g.get("posted"):
            bad.append(f"amd-iommu: {g['posted']} interrupts posted without ga-vapic/AVIC")

    @staticmethod
    def inhibit_reason(line):
        """A non-ABSENT reason set ('N set reason=R, inhibits=0x..'): its text."""
        w = line.split()
        if len(w) >= 3 and w[1] == "set" and w[2].startswith("reason="):
            try:
                if int(w[2].split("=")[1].rstrip(",")) != INHIBIT_ABSENT:
                    return line
            except ValueError:
                return line
        return None


def write_result(a, res):
    with open(os.path.join(a.dir, "result.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("vmm_host: RESULT " + json.dumps(res), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fw")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--timeout", type=int, default=1800, help="for the whole run [1800]")
    ap.add_argument("--stall", type=int, default=600,
                    help="no console line for this long is a hang [600]")
    ap.add_argument("--series", default="6.12", choices=("6.1", "6.12"))
    ap.add_argument("--avic", default="on", choices=("on", "off"))
    ap.add_argument("--n", type=int, default=500, help="pipe round trips [500]")
    ap.add_argument("--mb", type=int, help="membarrier calls [N]")
    ap.add_argument("--iommu", default="off", choices=("off", "on", "ga"),
                    help="amd-iommu (intremap; ga: + ga-vapic) and a virtio-rng "
                    "given to L2 through vfio-pci [off]")
    ap.add_argument("--rng", type=int, help="reads of the assigned virtio-rng, "
                    "per IRQ placement [N/4]")
    ap.add_argument("--hang-dir", help="copy hang evidence to HANG_DIR/vmm-TIME-...")
    ap.add_argument("--qemu-arg", action="append", default=[])
    a = ap.parse_args()
    if a.mb is None:
        a.mb = a.n
    if a.rng is None:
        a.rng = max(1, a.n // 4)
    os.makedirs(a.dir, exist_ok=True)
    if os.path.exists(os.path.join(a.dir, "result.json")):
        os.unlink(os.path.join(a.dir, "result.json"))
    r = Run(a)
    err = {"status": "error", "sent": None, "received": None, "lost": 0,
           "duplicated": 0, "seconds": 0.0}
    if not os.access(a.qemu, os.X_OK):
        write_result(a, dict(err, reason=f"no QEMU at {a.qemu}"))
        return 3
    try:
        kernel, initrd = r.images()
    except (RuntimeError, OSError, KeyError) as e:
        write_result(a, dict(err, reason=f"images: {e}"))
        return 3
    r.log(f"images ready after {time.monotonic() - r.t0:.1f} s")
    rc = r.boot(kernel, initrd)
    res = r.verdict(rc)
    write_result(a, res)
    return {"pass": 0, "fail": 1, "hang": 2}.get(res["status"], 3)


if __name__ == "__main__":
    sys.exit(main())
