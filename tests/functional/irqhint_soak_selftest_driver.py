#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A deliberately broken soak driver: the soak harness's own self-test
(test_x86_64_irqhint_soak.py), never a configuration of the soak.

    irqhint_soak_selftest_driver.py --qemu Q --fw F --dir D --timeout S
                                    --mode MODE

MODE:
  silent   start QEMU (q35, -smp 2, no kernel: SeaBIOS finds nothing to
           boot and its vCPUs sit in HLT) and print nothing more: the
           runner must call it a hang and save the state of a live QEMU.
  stopped  the same, then SIGSTOP QEMU: its monitor cannot answer; the
           capture must still end (bounded) with the thread stacks.
  lost     report 10 sent, 9 received (status fail, exit status 1).
  dup      report a pass with 11 received for 10 sent (the runner must
           count it as a fail with 1 duplicated).
  liar     say fail in result.json but exit with status 0 (an error).
  none     exit 0 without result.json (an error, never a pass).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fw", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--timeout", type=int, required=True)
    ap.add_argument("--mode", required=True,
                    choices=("silent", "stopped", "lost", "dup", "liar", "none"))
    a = ap.parse_args()

    def result(status, sent, received, rc, lost=None, dup=0):
        if lost is None:
            lost = max(sent - received, 0)
        with open(os.path.join(a.dir, "result.json"), "w") as f:
            json.dump({"status": status, "sent": sent, "received": received,
                       "lost": lost, "duplicated": dup,
                       "reason": f"self-test mode {a.mode}", "seconds": 0.1}, f)
        print(f"selftest: {a.mode}: {status}", flush=True)
        return rc

    if a.mode == "lost":
        return result("fail", 10, 9, 1)
    if a.mode == "dup":
        return result("pass", 10, 11, 0, dup=1)
    if a.mode == "liar":
        return result("fail", 10, 10, 0)
    if a.mode == "none":
        print("selftest: no result", flush=True)
        return 0
    p = subprocess.Popen([a.qemu, "-machine", "q35", "-accel", "tcg", "-smp", "2",
                          "-m", "128", "-nodefaults", "-display", "none",
                          "-L", a.fw], stdin=subprocess.DEVNULL,
                         stdout=open(os.path.join(a.dir, "qemu.log"), "w"),
                         stderr=subprocess.STDOUT)
    print(f"selftest: QEMU {p.pid} started; from now on silent", flush=True)
    if a.mode == "stopped":
        time.sleep(3)
        os.kill(p.pid, signal.SIGSTOP)
    try:
        p.wait(a.timeout)
    except subprocess.TimeoutExpired:
        p.kill()
    return result("hang", None, None, 2, lost=0)


if __name__ == "__main__":
    sys.exit(main())
