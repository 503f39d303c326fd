#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The AMD IOMMU guest vAPIC test, host side (issue 14).

Boots a Debian kernel as L1 under TCG with

    -machine q35 -cpu max,svm=on,avic=on -smp 4
    -device amd-iommu,intremap=on,ga-vapic=on -device edu

and kvm_amd.avic=1; its /test.sh (tests/guest/avic/l1-iommu.sh) reports
what amd_iommu and kvm_amd say, binds edu to vfio-pci and runs
`avic-vmm --vfio BDF msi:N`: edu's MSI, assigned through VFIO and a KVM
irqfd, N times to a running L2 vCPU and N times to a halted one.  QEMU's
own counters (query-amd-iommu-ga, query-avic) are read over QMP while it
runs.  Checks (one line each in DIR/results.tsv: status, name, reason):

- amd_iommu: "Interrupt remapping enabled" and "Virtual APIC enabled";
  kvm_amd: "AVIC enabled";
- the VMM: every interrupt arrived once, at the right vector, on the right
  vCPU (its PASS line);
- the running vCPU's N interrupts were posted by the IOMMU into the
  backing page and rung (doorbells = N), with no IOMMU error;
- the halted vCPU's interrupts went through the GA log (records > 0) and
  KVM woke it (the VMM's check);
- #VMEXITs on the L2 vCPU's CPU other than physical interrupts to L1
  (VMEXIT_INTR, L1's own timer) are far fewer than N: the device
  interrupts themselves cost no exit.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

EXIT_INTR = 0x60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fw")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--label", default="amd-iommu-ga")
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    qmp = os.path.join(a.dir, "qmp.sock")
    if os.path.exists(qmp):
        os.unlink(qmp)
    cmd = [a.qemu, "-machine", "q35", "-accel", "tcg", "-cpu", "max,svm=on,avic=on",
           "-smp", "4", "-m", "1G", "-kernel", a.kernel, "-initrd", a.initrd,
           "-append", "console=ttyS0 panic=-1 loglevel=4 kvm_amd.avic=1 "
           f"iommu.n={a.n}",
           "-nodefaults", "-display", "none", "-vga", "none", "-monitor", "none",
           "-no-reboot", "-serial", "stdio", "-qmp", f"unix:{qmp},server=on,wait=off",
           "-device", "amd-iommu,intremap=on,ga-vapic=on", "-device", "edu"]
    if a.fw:
        cmd += ["-L", a.fw]
    print("iommu_host: " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    snap = {}

    def poll():
        for _ in range(100):
            if os.path.exists(qmp):
                break
            time.sleep(0.1)
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(qmp)
            f = s.makefile("rw")
            f.readline()
            f.write('{"execute":"qmp_capabilities"}\n')
            f.flush()
            f.readline()
            while p.poll() is None:
                cur = {}
                for c in ("query-amd-iommu-ga", "query-avic"):
                    f.write(json.dumps({"execute": c}) + "\n")
                    f.flush()
                    while True:
                        r = json.loads(f.readline())
                        if "return" in r or "error" in r:
                            break
                    cur[c] = r.get("return")
                snap.update(cur)
                time.sleep(0.3)
        except (OSError, ValueError):
            pass

    threading.Thread(target=poll, daemon=True).start()
    killer = threading.Timer(a.timeout, p.kill)
    killer.start()
    console = []
    with open(os.path.join(a.dir, "console.log"), "w") as log:
        for line in p.stdout:
            log.write(line)
            line = line.rstrip()
            console.append(line)
            if any(k in line for k in ("IOMMU-L1", "AVIC-VMM", "EXIT:", "panic", "qemu-")):
                print(line, flush=True)
    p.wait()
    killer.cancel()

    results = []

    def check(ok, name, reason=""):
        results.append(("pass" if ok else "fail", f"{a.label}: {name}", "" if ok else reason))

    text = "\n".join(console)
    check("AMD-Vi: Interrupt remapping enabled" in text, "amd_iommu: interrupt remapping",
          "no 'AMD-Vi: Interrupt remapping enabled'")
    check("AMD-Vi: Virtual APIC enabled" in text, "amd_iommu: guest virtual APIC mode",
          "no 'AMD-Vi: Virtual APIC enabled'")
    # 6.1: "SVM: AVIC enabled"; 6.12: "kvm_amd: AVIC enabled"
    check("SVM: AVIC enabled" in text or "kvm_amd: AVIC enabled" in text,
          "kvm_amd: AVIC", "no 'SVM: AVIC enabled' nor 'kvm_amd: AVIC enabled'")
    vmm = [ln for ln in console if ln.startswith("AVIC-VMM: msi ")]
    check(bool(vmm) and " PASS " in vmm[0],
          f"edu assigned to L2 by VFIO + irqfd: {a.n} MSIs to a running and "
          f"{a.n} to a halted vCPU, each once at the right vector",
          vmm[0] if vmm else "the VMM reported nothing")
    ga = snap.get("query-amd-iommu-ga") or {}
    cpus = snap.get("query-avic") or []
    print("iommu_host: GA " + json.dumps(ga), flush=True)
    check(ga.get("doorbells", 0) >= a.n and ga.get("errors", 1) == 0,
          f"the IOMMU posted and rang the running vCPU (doorbells {ga.get('doorbells')}"
          f", posted {ga.get('posted')}, errors {ga.get('errors')})",
          f"doorbells {ga.get('doorbells')} < {a.n} or errors {ga.get('errors')}")
    check(ga.get("log-records", 0) > 0 and ga.get("overflows", 1) == 0,
          f"the halted vCPU's interrupts went through the GA log "
          f"(records {ga.get('log-records')}, overflows {ga.get('overflows')})",
          f"records {ga.get('log-records')}, overflows {ga.get('overflows')}")
    runner = max(cpus, key=lambda c: c["doorbells"]) if cpus else None
    if runner:
        other = runner["vmexits"] - sum(e["count"] for e in runner["vmexit-codes"]
                                         if e["code"] == EXIT_INTR)
        print(f"iommu_host: CPU {runner['cpu-index']}: {runner['deliveries']} AVIC "
              f"deliveries, {runner['doorbells']} doorbells, {runner['vmexits']} #VMEXITs "
              f"({other} not VMEXIT_INTR): {runner['vmexit-codes']}", flush=True)
        check(runner["deliveries"] >= a.n and other < max(a.n // 10, 30),
              f"no #VMEXIT per interrupt on the running L2 vCPU's CPU "
              f"({runner['deliveries']} deliveries, {other} exits other than "
              f"VMEXIT_INTR)",
              f"{runner['deliveries']} deliveries, {other} exits other than VMEXIT_INTR")
    else:
        check(False, "no #VMEXIT per interrupt", "no query-avic answer")
    with open(os.path.join(a.dir, "results.tsv"), "w") as f:
        for r in results:
            f.write("\t".join(r) + "\n")
    for r in results:
        print("\t".join(r))
    return 0 if all(r[0] == "pass" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
