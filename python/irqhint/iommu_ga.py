# SPDX-License-Identifier: GPL-2.0-or-later
"""The AMD IOMMU guest vAPIC test, host side (issue 14).

Boots a Debian kernel as L1 under TCG on a QEMUMachine (irqhint.l1) with

    -machine q35 -cpu max,svm=on,avic=on -smp 4
    -device amd-iommu,intremap=on,ga-vapic=on -device edu

and kvm_amd.avic=1; its /test.sh (tests/guest/avic/l1-iommu.sh) reports
what amd_iommu and kvm_amd say, binds edu to vfio-pci and runs
`avic-vmm --sync --vfio BDF msi:N`: edu's MSI, assigned through VFIO and
a KVM irqfd, N times to a running L2 vCPU and N times to a halted one.
Around each phase the VMM prints "AVIC-PHASE <name> BEGIN|END ipis=K"
and waits for a console line; in between this script reads QEMU's own
counters (query-amd-iommu-ga, query-avic) over QMP, so that the deltas
cover exactly that phase ("msi-run": the MSIs to the running vCPU).
Checks (one line each in DIR/results.tsv: status, name, reason; Run's
results hold them with their IDs, which
tests/functional/test_x86_64_amd_iommu_ga.py makes tests of):

- remapping, guest-vapic: amd_iommu says "Interrupt remapping enabled"
  and "Virtual APIC enabled"; kvm-avic: kvm_amd says "AVIC enabled";
- vfio-msis: the VMM: every interrupt arrived once, at the right vector,
  on the right vCPU (its PASS line);
- posted-rang: the running vCPU's N interrupts were posted by the IOMMU
  into the backing page and rung (doorbells = N), with no IOMMU error;
- ga-log: the halted vCPU's interrupts went through the GA log (records
  > 0) and KVM woke it (the VMM's check);
- few-exits: #VMEXITs on the L2 vCPU's CPU other than physical
  interrupts to L1 (VMEXIT_INTR, L1's own timer) over the whole run are
  far fewer than N;
- msi-run-no-exits, strictly: during the msi-run phase, on the running
  L2 vCPU's CPU, 0 #VMEXITs other than VMEXIT_INTR (per-code breakdown
  printed), and N AVIC deliveries there.

Other uses (bench/amd-iommu-ga.sh): --ga off boots without ga-vapic (the
IRTEs stay remapped: L1 KVM gets the interrupt and injects it),
--payload P runs another VMM payload (dev-irq-hlt: the L2 raises edu's
interrupt itself), --icount adds -icount shift=0, --irq-cpu C pins edu's
IRQ in L1, --json FILE writes the phases' counters and the VMM's lines.
The msi checks above run only for --payload msi with --ga on; otherwise
the one check (payload) is that the payload passed.

As a program: tests/guest/avic/iommu_host.py (the soak's iommu driver,
bench/amd-iommu-ga.sh, by hand), with --qemu, --kernel, --initrd, --dir
and the options above; exit status 0 when every check passed.
"""

import argparse
import json
import os
import sys
import queue
import subprocess
import time

from irqhint import l1
from irqhint.guest import fw_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXIT_INTR = 0x60
MODULES = "kvm kvm-amd vfio vfio-iommu-type1 vfio-pci-core vfio-pci"


def build_initrd(path, series, vmm, log):
    """The L1 initramfs of this test at PATH: Debian's SERIES modules
    with KVM and VFIO, VMM as /bin/avic-vmm, l1-iommu.sh as /test.sh; the
    build's output to LOG (a file); raises subprocess.CalledProcessError."""
    env = dict(os.environ, IRQHINT_KO="none", FAKE_KO="none", EXTRA_MODULES=MODULES,
               IRQHINT_GUEST_SERIES=series)
    subprocess.run([os.path.join(REPO, "guest", "tools", "mkinitramfs.sh"), path,
                    os.path.join(REPO, "tests", "guest", "avic", "l1-iommu.sh") + ":test.sh",
                    vmm + ":bin/avic-vmm"],
                   check=True, env=env, stdout=log, stderr=subprocess.STDOUT)


def stall_dump(vm, path, ncpus):
    """QEMU's view of a stalled interrupt: the backing pages, every
    vCPU's LAPIC and registers."""
    def hmp(line):
        r = l1.hmp(vm, line)
        return r if isinstance(r, str) else f"({line}: no answer)\n"
    text = hmp("info avic")
    for c in range(ncpus):
        text += f"--- info lapic {c}\n" + hmp(f"info lapic {c}")
    text += "--- info registers -a\n" + hmp("info registers -a")
    with open(path, "w") as f:
        f.write(text)
    return text


def snap(vm):
    return {"ga": l1.qmp_or_none(vm, "query-amd-iommu-ga") or {},
            "cpus": l1.qmp_or_none(vm, "query-avic") or []}


def cpu_delta(b, e):
    """Per-vCPU counter deltas between two query-avic answers."""
    out = {}
    for ce in e:
        cb = next((c for c in b if c["cpu-index"] == ce["cpu-index"]), None)
        if cb is None:
            continue
        d = {k: ce[k] - cb[k] for k in ce if isinstance(ce[k], int)
             and not isinstance(ce[k], bool) and k != "cpu-index"}
        bc = {x["code"]: x["count"] for x in cb.get("vmexit-codes", [])}
        codes = {}
        for x in ce.get("vmexit-codes", []):
            n = x["count"] - bc.get(x["code"], 0)
            if n:
                codes[x["code"]] = n
        d["codes"] = codes
        d["non-intr"] = sum(n for c, n in codes.items() if c != EXIT_INTR)
        out[ce["cpu-index"]] = d
    return out


def fmt_codes(codes):
    return ", ".join(f"{c:#x} {n}" for c, n in sorted(codes.items())) or "none"


class Run:
    """One boot: boot(VM) on a QEMUMachine not launched yet, then
    check().  OUT prints a line (stdout by default)."""

    def __init__(self, a, out=None):
        self.a = a
        self.out = out or (lambda text: print(text, flush=True))
        self.results = []           # (status, label, reason, id)
        self.console = []
        self.phases = {}            # name -> {"begin": snap, "end": snap, "ipis": K}
        self.final = None
        self.deltas = {}
        self.rc = None
        self.timed_out = False
        os.makedirs(a.dir, exist_ok=True)

    def qemu_args(self):
        a = self.a
        # no_timer_check: at boot Linux counts PIT ticks through the
        # IO-APIC in a window timed by the TSC and, with interrupt
        # remapping, panics ("timer doesn't work through
        # Interrupt-remapped IO-APIC") when fewer than 5 came.  Under TCG
        # on an oversubscribed host QEMU's timer thread can miss ticks of
        # that window: the PIT catches up in a burst and the edges merge
        # in the LAPIC's IRR.  Linux skips the check itself under KVM
        # (kvmclock); 3 of ~60 loaded soak boots panicked without it.
        append = (f"console=ttyS0 panic=-1 loglevel=4 no_timer_check kvm_amd.avic=1 "
                  f"iommu.n={a.n} iommu.payload={a.payload}")
        if a.irq_cpu is not None:
            append += f" iommu.irqcpu={a.irq_cpu}"
        if a.tick is not None:
            append += f" iommu.tick={a.tick}"
        iommu = "amd-iommu,intremap=on" + (",ga-vapic=on" if a.ga == "on" else "")
        args = ["-accel", "tcg", "-cpu", "max,svm=on,avic=on",
                "-smp", "4", "-m", "1G", "-kernel", a.kernel, "-initrd", a.initrd,
                "-append", append, "-nodefaults", "-no-reboot",
                "-device", iommu, "-device", "edu"]
        if a.icount:
            args += ["-icount", "shift=0"]
        for t in a.trace:
            args += ["-trace", f"enable={t}"]
        if a.trace:
            args += ["-D", os.path.join(a.dir, "trace.log")]
        fw = a.fw or fw_dir(a.qemu)
        if fw:
            args += ["-L", fw]
        return args

    def boot(self, vm):
        """Boot on VM and follow the console until L1 powers off or
        --timeout passes; QEMU's exit status."""
        a = self.a
        l1.configure(vm, self.qemu_args())
        self.out("iommu_host: " + " ".join(vm.args))
        deadline = time.monotonic() + a.timeout
        exiting = False
        try:
            l1.launch(vm)
            con = l1.Console(vm, os.path.join(a.dir, "console.log"))
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.timed_out = True
                    self.out(f"iommu_host: timeout after {a.timeout} s")
                    break
                try:
                    line = con.get(timeout=min(left, 5))
                except queue.Empty:
                    continue
                if line is None:
                    exiting = True
                    break
                self.on_line(vm, con, line.rstrip())
        except Exception as e:          # noqa: BLE001  QEMU did not start
            self.out(f"iommu_host: QEMU failed: {type(e).__name__}: {e}")
        finally:
            self.rc, err, _ = l1.finish(vm, exiting)
        with open(os.path.join(a.dir, "qemu.err"), "w") as f:
            f.write(err)
        for ln in err.strip().splitlines():
            self.out(ln)
        return self.rc

    def on_line(self, vm, con, line):
        self.console.append(line)
        if any(k in line for k in ("IOMMU-L1", "AVIC-VMM", "AVIC-PHASE", "EXIT:",
                                   "panic", "qemu-")):
            self.out(line)
        if line.startswith("AVIC-PHASE "):
            w = line.split()
            ph = self.phases.setdefault(w[1], {})
            if w[1] == "stall" and len(w) > 2:
                dump = stall_dump(vm, os.path.join(self.a.dir,
                                                   f"stall-{w[2].lower()}.txt"), 4)
                for d in dump.splitlines():
                    if d.startswith(("CPU ", "  backing", "---", "IRR", "ISR")):
                        self.out(f"iommu_host: stall {w[2].lower()}: {d}")
            if len(w) > 2 and w[2] == "BEGIN":
                ph["begin"] = snap(vm)
            elif len(w) > 2 and w[2] == "END":
                ph["end"] = snap(vm)
                ph["ipis"] = int(w[3].split("=")[1]) if len(w) > 3 else 0
            con.send("go\n")
        elif line.startswith("IOMMU-L1: vmm exit"):
            # L1 powers off right after this line: on a loaded host QEMU
            # may be gone before we ask (no answer: keep the msi phase's
            # END counters, read while the VMM waited for us).
            s = snap(vm)
            if s["ga"] or s["cpus"]:
                self.final = s

    def check(self, check_id, ok, name, reason=""):
        self.results.append(("pass" if ok else "fail", f"{self.a.label}: {name}",
                             "" if ok else reason, check_id))

    def verdict(self):
        """Every check into results (and DIR/results.tsv, stdout); 0 when
        all passed, else 1."""
        a = self.a
        text = "\n".join(self.console)
        vmm = [ln for ln in self.console if ln.startswith(f"AVIC-VMM: {a.payload} ")]
        for name, ph in self.phases.items():
            if ph.get("begin") and ph.get("end"):
                self.deltas[name] = cpu_delta(ph["begin"]["cpus"], ph["end"]["cpus"])
                g0, g1 = ph["begin"]["ga"], ph["end"]["ga"]
                ga = {k: g1[k] - g0[k] for k in g1 if isinstance(g1.get(k), int)
                      and isinstance(g0.get(k), int) and not isinstance(g1[k], bool)}
                ph["ga-delta"] = ga
                tot = sum(d["vmexits"] for d in self.deltas[name].values())
                self.out(f"iommu_host: phase {name}: {ph.get('ipis')} interrupts, "
                         f"{tot} #VMEXITs (all vCPUs), GA {json.dumps(ga)}")
                for c, d in sorted(self.deltas[name].items()):
                    if d["vmexits"] or d.get("deliveries") or d.get("doorbells"):
                        self.out(f"iommu_host:   CPU {c}: {d['vmexits']} #VMEXITs "
                                 f"({d['non-intr']} not INTR; by code: "
                                 f"{fmt_codes(d['codes'])}), {d.get('deliveries')} "
                                 f"deliveries, {d.get('doorbells')} doorbells")
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"vmm": vmm, "ga": a.ga, "n": a.n, "payload": a.payload,
                           "guest-vapic": "AMD-Vi: Virtual APIC enabled" in text,
                           "phases": {k: {"ipis": v.get("ipis"), "ga": v.get("ga-delta"),
                                          "cpus": {str(c): d for c, d in
                                                   self.deltas.get(k, {}).items()}}
                                      for k, v in self.phases.items()}}, f, indent=1)
        if a.payload != "msi" or a.ga != "on":
            self.check("payload", bool(vmm) and " PASS " in vmm[0], f"payload {a.payload}",
                       vmm[0] if vmm else "the VMM reported nothing")
        else:
            self.msi_checks(text, vmm)
        if self.timed_out:
            for i, r in enumerate(self.results):
                if r[0] == "fail":
                    self.results[i] = r[:2] + (f"{r[2]} (the boot timed out after "
                                               f"{a.timeout} s)", r[3])
        with open(os.path.join(a.dir, "results.tsv"), "w") as f:
            for r in self.results:
                f.write("\t".join(r[:3]) + "\n")
        for r in self.results:
            self.out("\t".join(r[:3]))
        return 0 if all(r[0] == "pass" for r in self.results) else 1

    def msi_checks(self, text, vmm):
        a, check, phases, deltas = self.a, self.check, self.phases, self.deltas
        check("remapping", "AMD-Vi: Interrupt remapping enabled" in text,
              "amd_iommu: interrupt remapping",
              "no 'AMD-Vi: Interrupt remapping enabled'")
        check("guest-vapic", "AMD-Vi: Virtual APIC enabled" in text,
              "amd_iommu: guest virtual APIC mode",
              "no 'AMD-Vi: Virtual APIC enabled'")
        # 6.1: "SVM: AVIC enabled"; 6.12: "kvm_amd: AVIC enabled"
        check("kvm-avic", "SVM: AVIC enabled" in text or "kvm_amd: AVIC enabled" in text,
              "kvm_amd: AVIC", "no 'SVM: AVIC enabled' nor 'kvm_amd: AVIC enabled'")
        check("vfio-msis", bool(vmm) and " PASS " in vmm[0],
              f"edu assigned to L2 by VFIO + irqfd: {a.n} MSIs to a running and "
              f"{a.n} to a halted vCPU, each once at the right vector",
              vmm[0] if vmm else "the VMM reported nothing")
        s = self.final or (phases.get("msi") or {}).get("end") or {}
        ga = s.get("ga") or {}
        cpus = s.get("cpus") or []
        self.out("iommu_host: GA " + json.dumps(ga))
        # L1 may preempt the running vCPU's thread (kvm_amd clears IsRun in
        # the IRTE): an MSI then goes through the GA log, as on hardware.
        # During msi-run every MSI is rung or logged, none lost; logged ones
        # are tolerated at 1 in 200 (as irqhint.avic tolerates preempted
        # IPI targets); errors fail.
        run = (phases.get("msi-run") or {}).get("ga-delta") or {}
        rang, logged = run.get("doorbells", 0), run.get("log-records", 0)
        check("posted-rang", rang + logged == a.n and logged * 200 <= a.n and
              ga.get("errors", 1) == 0,
              f"the IOMMU posted and rang the running vCPU (msi-run: {rang} "
              f"doorbells, {logged} GA log records for a vCPU L1 had preempted; "
              f"posted {ga.get('posted')}, errors {ga.get('errors')})",
              f"msi-run: {rang} doorbells + {logged} log records for {a.n} MSIs "
              f"(more than 1 in 200 logged, or some lost), errors {ga.get('errors')}")
        check("ga-log", ga.get("log-records", 0) > 0 and ga.get("overflows", 1) == 0,
              f"the halted vCPU's interrupts went through the GA log "
              f"(records {ga.get('log-records')}, overflows {ga.get('overflows')})",
              f"records {ga.get('log-records')}, overflows {ga.get('overflows')}")
        runner = max(cpus, key=lambda c: c["doorbells"]) if cpus else None
        if runner:
            other = runner["vmexits"] - sum(e["count"] for e in runner["vmexit-codes"]
                                             if e["code"] == EXIT_INTR)
            self.out(f"iommu_host: CPU {runner['cpu-index']}: {runner['deliveries']} AVIC "
                     f"deliveries, {runner['doorbells']} doorbells, {runner['vmexits']} "
                     f"#VMEXITs ({other} not VMEXIT_INTR): {runner['vmexit-codes']}")
            check("few-exits", runner["deliveries"] >= a.n and other < max(a.n // 10, 30),
                  f"no #VMEXIT per interrupt on the running L2 vCPU's CPU "
                  f"({runner['deliveries']} deliveries, {other} exits other than "
                  f"VMEXIT_INTR)",
                  f"{runner['deliveries']} deliveries, {other} exits other than "
                  "VMEXIT_INTR")
        else:
            check("few-exits", False, "no #VMEXIT per interrupt", "no query-avic answer")
        # Strict: exactly the running-vCPU phase, on the CPU that ran it (the
        # one the IOMMU rang; the VMM pins vCPU 0 to L1 CPU 1).
        name = ("msi-run: 0 #VMEXITs to L1 per interrupt on the running L2 vCPU's CPU "
                "(not INTR)")
        d = deltas.get("msi-run")
        ipis = (phases.get("msi-run") or {}).get("ipis", 0)
        if not d:
            check("msi-run-no-exits", False, name,
                  "no msi-run phase counted (VMM without --sync phases, or no query-avic)")
            return
        cpu = max(d, key=lambda c: (d[c].get("doorbells", 0), c == 1))
        r = d[cpu]
        self.out(f"iommu_host: msi-run: {ipis} MSIs to the running vCPU; CPU {cpu}: "
                 f"{r['vmexits']} #VMEXITs, {r['non-intr']} not INTR "
                 f"({r['non-intr'] / max(ipis, 1):.3f} per interrupt); by code: "
                 f"{fmt_codes(r['codes'])}; {r.get('deliveries')} AVIC deliveries, "
                 f"{r.get('doorbells')} doorbells")
        detail = (f"CPU {cpu}: {r['non-intr']} exits other than INTR for {ipis} "
                  f"interrupts (by code: {fmt_codes(r['codes'])}), "
                  f"{r.get('deliveries')} deliveries")
        check("msi-run-no-exits",
              ipis >= a.n and r["non-intr"] == 0 and r.get("deliveries", 0) >= ipis,
              f"{name}: {r['non-intr']} for {ipis}, {r.get('deliveries')} AVIC deliveries",
              detail)


def parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fw")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--label", default="amd-iommu-ga")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--ga", default="on", choices=("on", "off"))
    ap.add_argument("--payload", default="msi")
    ap.add_argument("--irq-cpu", type=int)
    ap.add_argument("--tick", type=int,
                    help="L1 CPU that a VMM thread wakes every 50 us (L1 load)")
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--trace", action="append", default=[],
                    help="QEMU trace event pattern, into DIR/trace.log")
    return ap


def options(**kw):
    """The command line's options from KW (qemu=, kernel=, initrd=, dir=
    required; irq_cpu=...), the defaults for the others."""
    need = ["--qemu", "", "--kernel", "", "--initrd", "", "--dir", ""]
    a = parser().parse_args(need)
    for k, v in kw.items():
        if not hasattr(a, k):
            raise TypeError(f"no option {k}")
        setattr(a, k, v)
    return a


def main(argv=None):
    a = parser().parse_args(argv)
    r = Run(a)
    vm, tmp = l1.machine(a.qemu, "iommu", a.dir)
    try:
        r.boot(vm)
    finally:
        l1.cleanup(tmp)
    return r.verdict()


if __name__ == "__main__":
    sys.exit(main())
