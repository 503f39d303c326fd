#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Host side of the IDT shadowing tests that need QEMU's monitor.

  monitor-check.py [common options] counters TEST DIRECT EXITS ERRORS
      Boot the test kernel with "TEST idts=1 halt"; once it reports PASS,
      query-idt-shadow (QMP) and "info idt-shadow" (HMP) must show the
      given counters (a value of - is not checked).

  monitor-check.py [common options] migrate
      Boot "migrate idts=1 halt": guest A raises interrupts that go
      straight to it (DIRECT) in one long VMRUN.  Stop, migrate to a file,
      quit; start a second QEMU from that file: the shadowing state
      (active, table, counters) must have come along, and after cont the
      guest's interrupts must still go direct (the kernel checks: 0 exits).
      An NMI (inject-nmi) ends the guest's loop.

  monitor-check.py [common options] held [migrate]
      Boot "held idts=1 halt": guest A raises its DIRECT vector 0x40 with
      IF=0 and spins with IF=0 until an NMI.  query-idt-shadow must show
      0x40 held (pending, the held counter) and not delivered, and so must
      "info idt-shadow".  With migrate, the VM is migrated through a file
      first and the destination must show the same.  Then inject-nmi: the
      guest sets IF and the held vector must be delivered directly (the
      kernel checks it; the counters show 1 direct, 0 exits).

  monitor-check.py [common options] refuse off|entry|pending
      Migrate the "held" VM to a file, then load it into a destination
      that must refuse it cleanly (exit status 1, a message naming the
      reason, no abort): off, a destination CPU with idt-shadow=off;
      entry, a table entry with reserved bits (stream edited); pending, a
      held vector whose entry is not DIRECT (stream edited).

Prints what it checked; exit status 0 when everything held.
"""

import argparse
import json
import os
import atexit
import shutil
import tempfile
import subprocess
import sys
import time

from irqhint.cli import add_required
from irqhint.monitor import Monitor


class Failed(Exception):
    pass


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        raise Failed(what)


CPU_ON = "qemu64,svm=on,idt-shadow=on"


def qemu_args(a, append, serial, qmp, extra=(), cpu=CPU_ON, machine="pc"):
    return [a.qemu, "-machine", machine, "-accel", "tcg",
            "-cpu", cpu, "-m", "64",
            "-display", "none", "-nodefaults", "-monitor", "none",
            "-no-reboot", "-L", a.fw, "-kernel", a.kernel,
            "-append", append,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-serial", "file:" + serial,
            "-qmp", f"unix:{qmp},server=on,wait=off", *extra]


LAST = {}


def start(a, name, append, extra=(), cpu=CPU_ON, machine="pc"):
    serial = os.path.join(a.dir, name + ".serial")
    # UNIX socket paths must stay under 108 bytes: keep them in /tmp.
    sockdir = tempfile.mkdtemp(prefix="idts-")
    atexit.register(shutil.rmtree, sockdir, True)
    qmp = os.path.join(sockdir, name + ".qmp")
    for p in (serial, qmp):
        if os.path.exists(p):
            os.unlink(p)
    errpath = os.path.join(a.dir, name + ".stderr")
    err = open(errpath, "w")
    args = qemu_args(a, append, serial, qmp, extra, cpu, machine)
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err,
                            stderr=err)
    LAST.update(name=name, proc=proc, stderr=errpath)
    print(f"# {name}: {' '.join(args)}")
    return proc, serial, qmp


def wait_serial(proc, serial, marker, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(serial, errors="replace") as f:
                text = f.read().replace("\r", "")
        except FileNotFoundError:
            text = ""
        # Only whole lines: the kernel may be half-way through the one
        # we want ("IDTS-RESULT: PAS") when we read the file.
        exited = proc.poll() is not None
        lines = text.split("\n")
        if not exited:
            lines = lines[:-1]
        for line in lines:
            if line.startswith(marker):
                return line, text
        if exited:
            break
        time.sleep(0.05)
    print(text)
    raise Failed(f"no '{marker}' on the serial console "
                 f"(QEMU {'exited ' + str(proc.returncode) if proc.poll() is not None else 'still running'})")


def wait_pass(proc, serial):
    """The kernel must end with IDTS-RESULT: PASS (its output if not)."""
    line, text = wait_serial(proc, serial, "IDTS-RESULT:", 60)
    if "PASS" not in line:
        print(text)
    check("PASS" in line, f"kernel: {line}")


def stop_qemu(proc, q=None):
    try:
        if q and proc.poll() is None:
            q.cmd("quit")
    except Exception:
        pass
    if q:
        q.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def counters(q):
    r = q.cmd("query-idt-shadow")
    check(isinstance(r, list) and len(r) == 1, f"query-idt-shadow: {json.dumps(r)}")
    return r[0]


def do_counters(a):
    proc, serial, qmp = start(a, "counters-" + a.test, f"{a.test} idts=1 halt")
    q = None
    try:
        wait_pass(proc, serial)
        q = Monitor(qmp, timeout=30)
        c = counters(q)
        check(c["enabled"], "enabled: true")
        for key, want in (("direct", a.direct), ("exits", a.exits), ("errors", a.errors)):
            if want != "-":
                check(c[key] == int(want), f"{key}: {c[key]} (expected {want})")
        text = q.hmp("info idt-shadow")
        print("  info idt-shadow: " + text.strip())
        check(f"{c['direct']} direct" in text and f"{c['exits']} exits" in text,
              "HMP shows the same counters")
    finally:
        stop_qemu(proc, q)


def do_migrate(a):
    state = os.path.join(a.dir, "migrate.state")
    src, serial1, qmp1 = start(a, "migrate-src", "migrate idts=1 halt")
    q = None
    try:
        wait_serial(src, serial1, "IDTS-MIGRATE-READY", 60)
        time.sleep(0.5)
        q = Monitor(qmp1, timeout=30)
        q.cmd("stop")
        before = counters(q)
        check(before["active"] and before["direct"] > 0 and before["exits"] == 0,
              f"source, stopped mid-VMRUN: active, {before['direct']} direct, "
              f"{before['exits']} exits")
        migrate_to_file(q, state)       # "stop" again: a no-op
    finally:
        stop_qemu(src, q)

    dst, serial2, qmp2 = start(a, "migrate-dst", "migrate idts=1 halt",
                               ["-incoming", "defer", "-S"])
    q = None
    try:
        q = Monitor(qmp2, timeout=30)
        st = migrate_from_file(q, state)
        check(st == "completed", f"incoming migration: {st}")
        after = counters(q)
        check(after["active"] == before["active"] and after["direct"] == before["direct"]
              and after["exits"] == before["exits"] and after["errors"] == before["errors"],
              f"destination: active {after['active']}, {after['direct']} direct, "
              f"{after['exits']} exits (as on the source)")
        q.cmd("cont")
        time.sleep(0.5)
        q.cmd("inject-nmi")
        line, text = wait_serial(dst, serial2, "IDTS-RESULT:", 60)
        print("\n".join("  | " + l for l in text.splitlines() if l.strip()))
        check("PASS" in line, f"kernel after migration: {line}")
        end = counters(q)
        check(end["direct"] > after["direct"] and end["exits"] == 0,
              f"after cont: {end['direct']} direct ({end['direct'] - after['direct']} "
              f"since the migration), {end['exits']} exits")
    finally:
        stop_qemu(dst, q)


def migrate_to_file(q, state):
    q.cmd("stop")
    q.cmd("migrate", uri=f"exec:cat > {state}")
    for _ in range(600):
        st = q.cmd("query-migrate").get("status")
        if st in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    check(st == "completed", f"migration to a file: {st}")


def migrate_from_file(q, state):
    q.cmd("migrate-incoming", uri=f"exec:cat {state}")
    for _ in range(600):
        st = q.cmd("query-migrate").get("status")
        if st in ("completed", "failed"):
            break
        time.sleep(0.05)
    return st


def check_held(q, where):
    c = counters(q)
    check(c["active"] and c.get("pending") == [0x40] and c.get("held") == 1
          and c["direct"] == 0 and c["exits"] == 0,
          f"{where}: active {c['active']}, pending {c.get('pending')}, "
          f"held {c.get('held')}, {c['direct']} direct, {c['exits']} exits "
          f"(expected true, [64], 1, 0, 0)")
    text = q.hmp("info idt-shadow")
    print("  info idt-shadow: " + text.strip())
    check("1 held" in text and "pending: 0x40" in text,
          "HMP shows 0x40 held and pending")
    return c


def held_source(a, name):
    proc, serial, qmp = start(a, name, "held idts=1 halt")
    wait_serial(proc, serial, "IDTS-HELD-READY", 60)
    time.sleep(0.3)
    return proc, serial, Monitor(qmp, timeout=30)


def do_held(a):
    state = os.path.join(a.dir, "held.state")
    proc, serial, q = held_source(a, "held-src")
    try:
        check_held(q, "held, guest spinning with IF=0")
        if a.migrate:
            migrate_to_file(q, state)
            stop_qemu(proc, q)
            proc, serial, qmp = start(a, "held-dst", "held idts=1 halt",
                                      ["-incoming", "defer", "-S"])
            q = Monitor(qmp, timeout=30)
            st = migrate_from_file(q, state)
            check(st == "completed", f"incoming migration: {st}")
            check_held(q, "destination")
            q.cmd("cont")
            time.sleep(0.3)
            check_held(q, "destination, running, guest still with IF=0")
        q.cmd("inject-nmi")
        line, text = wait_serial(proc, serial, "IDTS-RESULT:", 60)
        print("\n".join("  | " + s for s in text.splitlines() if s.strip()))
        check("PASS" in line, f"kernel: {line}")
        c = counters(q)
        check(c.get("pending") == [] and c["direct"] == 1 and c["exits"] == 0,
              f"after the NMI: pending {c.get('pending')}, {c['direct']} "
              f"direct, {c['exits']} exits (expected [], 1, 0)")
    finally:
        stop_qemu(proc, q)


def subsection(data, name):
    """Where the fields of subsection NAME start in a saved stream DATA,
    and its version: (offset, version)."""
    tag = b"\x05" + bytes([len(name)]) + name.encode()
    at = data.find(tag)
    check(at >= 0, f"the stream has a {name} subsection")
    at += len(tag)
    return at + 4, int.from_bytes(data[at:at + 4], "big")


def corrupt(state, what):
    """Edit the cpu/idt_shadow subsection of a saved stream in place."""
    data = bytearray(open(state, "rb").read())
    fields, version = subsection(data, "cpu/idt_shadow")
    # active (1), table (256 x 4), ...
    table = fields + 1
    if what == "entry":
        off = table + 4 * 0xff
        data[off:off + 4] = (0x40000000).to_bytes(4, "big")
        print("  stream edited: entry 0xff = 0x40000000 (reserved bits)")
    else:
        check(version >= 2, f"the subsection carries held vectors "
              f"(version {version})")
        # ..., direct, exits, errors (3 x 8), pending (8 x 4)
        off = table + 4 * 256 + 24 + 4 * 1
        word = int.from_bytes(data[off:off + 4], "big") | 1
        data[off:off + 4] = word.to_bytes(4, "big")
        print("  stream edited: vector 0x20 (not DIRECT) held")
    open(state, "wb").write(bytes(data))


def do_refuse(a):
    state = os.path.join(a.dir, "refuse.state")
    want = {"off": "IDT shadowing state for a CPU without it",
            "entry": "entry 0xff has reserved bits set",
            "pending": "vector 0x20 held for the guest but not DIRECT"}[a.what2]
    proc, serial, q = held_source(a, "refuse-src")
    try:
        migrate_to_file(q, state)
    finally:
        stop_qemu(proc, q)
    if a.what2 != "off":
        corrupt(state, a.what2)
    cpu = "qemu64,svm=on" if a.what2 == "off" else CPU_ON
    expect_refused(a, state, "held idts=1 halt", cpu, want)


def expect_refused(a, state, append, cpu, want):
    """Load STATE into a new destination: it must refuse it cleanly (exit
    status 1, not an abort) and say WANT on stderr."""
    dst, serial, qmp = start(a, "refuse-dst", append,
                             ["-incoming", "defer", "-S"], cpu=cpu)
    q = Monitor(qmp, timeout=30)
    st = None
    try:
        st = migrate_from_file(q, state)
    except (RuntimeError, OSError) as e:
        print(f"  QMP: {e} (QEMU left)")
    try:
        dst.wait(30)
    except subprocess.TimeoutExpired:
        pass
    rc = dst.poll()
    with open(LAST["stderr"], errors="replace") as f:
        err = f.read()
    print("\n".join("  | " + s for s in err.splitlines()))
    stop_qemu(dst, q if rc is None else None)
    q.close()
    check(st != "completed", f"incoming migration not completed ({st})")
    check(rc == 1, f"the destination exited with status {rc} (expected 1: "
          "a clean refusal, not an abort)")
    check(want in err, f"it said why: '{want}'")


def arg_parser():
    """An argument parser with the common options (--qemu, --kernel, --fw,
    --dir) and its subcommands (dest "what"): (parser, subparsers)."""
    p = argparse.ArgumentParser()
    add_required(p, "qemu", "kernel", "fw", "dir")
    return p, p.add_subparsers(dest="what", required=True)


def run(p, actions):
    """Parse the command line with P and call ACTIONS[subcommand](args);
    the exit status: 0, or 1 with a line "FAILED: why"."""
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    try:
        actions[a.what](a)
    except Failed as e:
        print(f"FAILED: {e}")
        return 1
    except Exception as e:
        why = f"{type(e).__name__}: {e}"
        proc = LAST.get("proc")
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            if proc.poll() is not None:
                with open(LAST["stderr"], errors="replace") as f:
                    first = f.readline().strip()
                why = f"QEMU ({LAST['name']}) exited with status {proc.returncode}: {first}"
        print(f"FAILED: {why}")
        return 1
    return 0


def main():
    p, sub = arg_parser()
    c = sub.add_parser("counters")
    c.add_argument("test")
    c.add_argument("direct")
    c.add_argument("exits")
    c.add_argument("errors")
    sub.add_parser("migrate")
    h = sub.add_parser("held")
    h.add_argument("migrate", nargs="?", choices=["migrate"])
    r = sub.add_parser("refuse")
    r.add_argument("what2", choices=["off", "entry", "pending"])
    return run(p, {"counters": do_counters, "migrate": do_migrate,
                   "held": do_held, "refuse": do_refuse})


if __name__ == "__main__":
    sys.exit(main())
