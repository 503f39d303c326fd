#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run QEMU's generic-fuzz (libFuzzer) under a watchdog, for `make fuzz`.

libFuzzer's -timeout never fires in this harness: it arms SIGALRM, which
QEMU's main loop blocks in the main thread (util/main-loop.c), and that
thread runs every input.  A hung input would stall the run silently.  So:

- the fuzzer counts the inputs it starts and finishes in a shared file
  (QEMU_FUZZ_HEARTBEAT, patches/0009-fuzz-heartbeat.patch);
- when the started count stays still for --hang-seconds, the watchdog
  sends SIGABRT to the fuzzing thread itself (tgkill: a process-wide
  signal may land on another thread).  QEMU's main thread blocks only
  SIG_IPI, SIGIO, SIGALRM and SIGBUS; libFuzzer's SIGABRT handler treats
  the signal as a crash: it prints the thread's stack (where it hung) and
  writes the input as crash-<sha1>, which the watchdog renames hang-<sha1>;
- after a finding the fuzzer is restarted on the same corpus until the
  time is up, so one run reports every distinct crash and hang;
- each finding is turned into a qtest trace (QTEST_LOG + QEMU's
  scripts/oss-fuzz/reorder_fuzzer_qtest_trace.py) and a bash reproducer
  (output_reproducer.py), which is replayed against qemu-system-x86_64
  to check that it reproduces.

Usage: fuzz-watchdog.py --name NAME --fuzzer BIN --qemu BIN --src DIR
         --out DIR --seconds N [--hang-seconds N]
(QEMU_FUZZ_ARGS and QEMU_FUZZ_OBJECTS come from the environment.)
       fuzz-watchdog.py --same-finding REPORT...
exits 0 when the saved reports (*.report) are one finding, as a run would
count them;
       fuzz-watchdog.py --replay QEMU TRACE
exits 0 when a saved qtest trace (*.qtest) runs to its end on QEMU
(QEMU_FUZZ_ARGS from the environment), e.g. once its finding is fixed.
"""

import argparse
import ctypes
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

from irqhint.cli import add_required

SYS_TGKILL = 234  # x86_64
STATUS_RE = re.compile(r'^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) '
                       r'corp: (\d+)/(\S+).*?exec/s: (\d+)')
UNIT_RE = re.compile(r'Test unit written to (\S+)')
FRAME_RE = re.compile(r'^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+)')
# Frames that say nothing about where a finding is: the sanitizers and
# libFuzzer, libc, locks, and what every input goes through on its way to
# a device and back (the harness, qtest, the memory core, allocators,
# timers), so that the first frames left are the device's.
NOISE_RE = re.compile(r'^(__sanitizer|__asan|__ubsan|__interceptor|___interceptor|'
                      r'fuzzer::|__sigsetjmp|__libc|__GI_|__pthread|pthread_|'
                      r'futex|__futex|__lll|lll_|___pthread|raise|abort|__assert|g_assertion|'
                      r'g_assert|qemu_futex|qemu_event_wait|qemu_mutex_lock_impl|'
                      r'qemu_rec_mutex|__restore_rt|LLVMFuzzer|_start|main|'
                      r'__clock_nanosleep|clock_nanosleep|__nanosleep|'
                      r'malloc|calloc|realloc|free|g_malloc|g_malloc0|g_realloc|g_free|'
                      r'pattern_alloc|fuzz_dma_read_cb|generic_fuzz|op_[a-z_]+$|'
                      r'__wrap_qtest|qtest_|flatview_|address_space_|dma_memory_|'
                      r'memory_region_|access_with_adjusted_size|'
                      r'timerlist_|qemu_clock_|main_loop|aio_|qemu_bh_)')


def log(msg):
    print('fuzz: ' + msg, flush=True)


def tgkill(pid, tid, sig):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_TGKILL, pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), 'tgkill')


def read_heartbeat(path):
    try:
        with open(path, 'rb') as f:
            data = f.read(24)
    except OSError:
        return None
    if len(data) < 24:
        return None
    return struct.unpack('<QQQ', data)


def thread_state(pid, tid):
    """What the kernel says the fuzzing thread is doing (for the report)."""
    out = []
    base = f'/proc/{pid}/task/{tid}'
    try:
        stat = open(f'{base}/stat').read()
        out.append('state ' + stat.rsplit(')', 1)[1].split()[0])
        out.append('wchan ' + open(f'{base}/wchan').read().strip())
        for line in open(f'{base}/status'):
            if line.startswith(('SigBlk', 'SigPnd')):
                out.append(line.strip().replace('\t', ' '))
    except OSError:
        pass
    return ', '.join(out)


class Run:
    """One libFuzzer process, its output parsed as it comes."""

    def __init__(self, args, cmd, env, logf):
        self.args = args
        self.logf = logf
        self.status = None          # last status line (tuple)
        self.units = []             # "Test unit written to" paths
        self.report = []            # lines of a crash report
        self.in_report = False
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT,
                                     cwd=args.workdir)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for raw in self.proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            self.logf.write(line + '\n')
            self.logf.flush()
            m = STATUS_RE.match(line)
            if m:
                self.status = m.groups()
                continue
            u = UNIT_RE.search(line)
            if u:
                self.units.append(u.group(1))
            if ('ERROR: AddressSanitizer' in line or
                    'ERROR: libFuzzer' in line or
                    'runtime error:' in line or
                    'ERROR: LeakSanitizer' in line or
                    line.startswith('**') or 'assertion failed' in line or
                    'Assertion' in line):
                self.in_report = True
            if self.in_report and len(self.report) < 400:
                self.report.append(line)


def signature(report):
    """What a finding is and where: its kind, and the frames of QEMU code
    (innermost first, NOISE_RE left out) as "function (file:line)"."""
    kind = 'crash'
    for line in report:
        m = re.search(r'ERROR: AddressSanitizer: (\S+)', line)
        if m:
            kind = m.group(1)
            break
        if 'runtime error:' in line:
            kind = 'ubsan: ' + line.split('runtime error:', 1)[1].strip()[:80]
            break
        if 'assert' in line.lower():
            kind = 'assert: ' + line.strip()[:100]
            break
    frames = []
    in_stack = False
    for line in report:
        if not re.match(r'^\s*#\d+ ', line):
            if in_stack:
                break       # the first stack only (ASan may print more)
            continue
        in_stack = True
        m = FRAME_RE.match(line)
        # A frame without a source location is a library's.
        if m and not NOISE_RE.match(m.group(1)) and not m.group(2).startswith('('):
            path = m.group(2).split(':')
            loc = os.path.basename(path[0])
            frames.append(f'{m.group(1)} ({loc}:{path[1] if len(path) > 1 else "?"})')
    return kind, frames


def finding_key(kind, frames):
    """Two findings with one key are one finding.

    A crash is where it happened: its kind and innermost three functions
    (not lines: one inlined copy or another).  A hang is caught anywhere
    in its loop, a sample of the stack that changes from one catch to the
    next, so it is where the input entered the device: the outermost two
    functions of QEMU code (e.g. a register write's handler)."""
    names = [f.split(' ', 1)[0] for f in frames]
    if kind == 'hang':
        return kind, tuple(names[-2:])
    return kind, tuple(names[:3])


def same_finding(reports):
    """--same-finding: whether saved *.report files are one finding."""
    keys = []
    for path in reports:
        lines = open(path).read().splitlines()
        kind, frames = signature(lines)
        if lines and lines[0].startswith('watchdog: '):
            kind = 'hang'
        keys.append(finding_key(kind, frames))
        print(f'{path}: {keys[-1]}')
    return 0 if len(set(keys)) == 1 else 1


def replay(args, qemu_args, trace, env, hang):
    """Replay a qtest trace on qemu-system-x86_64 (same build: ASan, UBSan).

    QEMU stays up at the end of a -qtest stdio script, so a hang shows as
    commands left unanswered: after the trace, one more command (a
    sentinel) must be answered within --hang-seconds."""
    cmds = [line for line in open(trace).read().splitlines() if line.strip()]
    cmd = [args.qemu] + qemu_args.split() + ['-qtest', 'stdio']
    renv = dict(os.environ, ASAN_OPTIONS=env.get('ASAN_OPTIONS', ''),
                UBSAN_OPTIONS=env.get('UBSAN_OPTIONS', ''))
    out = open(trace + '.replay', 'w')
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=out, env=renv, text=True)
    answers = []

    def reader():
        for line in p.stdout:
            out.write(line)
            if line.startswith(('OK', 'FAIL', 'ERR')):
                answers.append(line)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        p.stdin.write('\n'.join(cmds) + '\n')
        p.stdin.flush()
        time.sleep(1)
        p.stdin.write('endianness\n')     # the sentinel
        p.stdin.flush()
    except BrokenPipeError:
        pass
    end = time.monotonic() + args.hang_seconds
    while time.monotonic() < end and p.poll() is None and \
            len(answers) < len(cmds) + 1:
        time.sleep(0.2)
    rc = p.poll()
    if rc is None:
        p.kill()
    p.wait()
    t.join(timeout=5)
    n = len(answers)
    if rc not in (None, 0):
        return f'replay fails (exit {rc}) after {n} of {len(cmds)} commands', \
            not hang
    if n <= len(cmds):
        return (f'replay hangs: {min(n, len(cmds))} of {len(cmds)} commands '
                f'answered, then none to a sentinel command'), hang
    return 'replay runs to the end: not reproduced', False


def make_reproducer(args, unit, env, hang):
    """unit -> unit.qtest (qtest trace) + unit.sh (bash); replay it."""
    qenv = dict(env, QTEST_LOG='1', FUZZ_SERIALIZE_QTEST='1')
    qenv.pop('QEMU_FUZZ_HEARTBEAT', None)
    raw = unit + '.qtest-log'
    with open(raw, 'w') as f:
        subprocess.run(['timeout', '-s', 'KILL', str(args.hang_seconds + 30),
                        args.fuzzer, '--fuzz-target=generic-fuzz', unit],
                       env=qenv, stdin=subprocess.DEVNULL, stdout=f,
                       stderr=subprocess.STDOUT, cwd=args.workdir)
    oss = os.path.join(args.src, 'scripts/oss-fuzz')
    trace = unit + '.qtest'
    with open(trace, 'w') as f:
        subprocess.run([sys.executable, os.path.join(oss, 'reorder_fuzzer_qtest_trace.py'),
                        raw], stdout=f, stderr=subprocess.DEVNULL)
    qemu_args = ('-display none -machine accel=qtest -m 512M ' +
                 env['QEMU_FUZZ_ARGS'])
    renv = dict(os.environ, QEMU_PATH=args.qemu, QEMU_ARGS=qemu_args)
    sh = unit + '.sh'
    with open(sh, 'w') as f:
        subprocess.run([sys.executable, os.path.join(oss, 'output_reproducer.py'),
                        '-bash', trace], env=renv, stdout=f)
    os.chmod(sh, 0o755)
    how, ok = replay(args, qemu_args, trace, env, hang)
    lines = sum(1 for _ in open(trace))
    return trace, sh, lines, ok, how


def replay_saved(qemu, trace, hang_seconds=20):
    """--replay: a saved trace must now run to its end (QEMU_FUZZ_ARGS)."""
    args = argparse.Namespace(qemu=qemu, hang_seconds=hang_seconds)
    qemu_args = ('-display none -machine accel=qtest -m 512M ' +
                 os.environ['QEMU_FUZZ_ARGS'])
    # replay() leaves its output beside the trace: not in the source tree.
    work = os.environ.get('FUZZ_REPLAY_DIR') or tempfile.mkdtemp()
    copy = os.path.join(work, os.path.basename(trace))
    shutil.copy(trace, copy)
    how, _ = replay(args, qemu_args, copy, os.environ, True)
    print(f'{trace}: {how} (output: {copy}.replay)')
    return 0 if how.startswith('replay runs to the end') else 1


def main():
    if sys.argv[1:2] == ['--same-finding']:
        return same_finding(sys.argv[2:])
    if sys.argv[1:2] == ['--replay']:
        return replay_saved(*sys.argv[2:4])
    ap = argparse.ArgumentParser()
    add_required(ap, 'name', 'fuzzer', 'qemu', 'src', 'out')
    add_required(ap, 'seconds', type=int)
    ap.add_argument('--hang-seconds', type=int, default=20)
    ap.add_argument('--print-every', type=int, default=30)
    ap.add_argument('--max-findings', type=int, default=10)
    ap.add_argument('--no-repro', action='store_true')
    ap.add_argument('--seed', action='append', default=[],
                    help='read-only seed corpus directory')
    ap.add_argument('extra', nargs='*', help='more libFuzzer arguments')
    args = ap.parse_args()

    corpus = os.path.join(args.out, 'corpus')
    findings_dir = os.path.join(args.out, 'findings')
    args.workdir = os.path.join(args.out, 'work')
    for d in (corpus, findings_dir, args.workdir):
        os.makedirs(d, exist_ok=True)
    hb = os.path.join(args.workdir, 'heartbeat')
    env = dict(os.environ, QEMU_FUZZ_HEARTBEAT=hb)
    env.setdefault('ASAN_OPTIONS', 'detect_leaks=0:symbolize=1')
    env.setdefault('UBSAN_OPTIONS', 'halt_on_error=1:print_stacktrace=1')
    logpath = os.path.join(args.out, 'fuzz.log')
    logf = open(logpath, 'w')

    deadline = time.monotonic() + args.seconds
    total_execs = 0
    total_time = 0.0
    last_status = None
    findings = []      # dicts
    seen = {}          # signature -> finding
    restarts = 0
    while True:
        left = int(deadline - time.monotonic())
        if left < 20 or len(findings) >= args.max_findings:
            break
        try:
            os.unlink(hb)
        except FileNotFoundError:
            pass
        cmd = [args.fuzzer, '--fuzz-target=generic-fuzz',
               f'-max_total_time={left}', '-print_final_stats=1',
               f'-artifact_prefix={findings_dir}/'] + args.extra + [corpus] + \
            args.seed
        if restarts == 0:
            log(f'[{args.name}] QEMU_FUZZ_ARGS="{env["QEMU_FUZZ_ARGS"]}"')
            log(f'[{args.name}] QEMU_FUZZ_OBJECTS="{env["QEMU_FUZZ_OBJECTS"]}"')
            log(f'[{args.name}] {left} s, hang watchdog {args.hang_seconds} s, '
                f'log {logpath}')
        t0 = time.monotonic()
        run = Run(args, cmd, env, logf)
        pid = run.proc.pid
        last = None
        last_change = time.monotonic()
        hang = None
        last_print, printed_execs = time.monotonic(), 0
        while run.proc.poll() is None:
            time.sleep(0.5)
            beat = read_heartbeat(hb)
            now = time.monotonic()
            if beat and now - last_print >= args.print_every:
                # Progress from the heartbeat: libFuzzer itself goes quiet
                # once coverage stops growing.
                rate = (beat[1] - printed_execs) / (now - last_print)
                st = run.status
                cov = (f'cov: {st[2]} ft: {st[3]} corp: {st[4]}' if st
                       else 'cov: ?')
                log(f'[{args.name}] {total_execs + beat[1]} execs '
                    f'({rate:.0f}/s), {cov}')
                last_print, printed_execs = now, beat[1]
            if beat is None or beat[0] == 0:
                last_change = now       # still starting: no input yet
                continue
            if last is None or beat[0] != last[0]:
                last, last_change = beat, now
                continue
            if now - last_change < args.hang_seconds:
                continue
            started, finished, tid = beat
            where = 'in an input' if started > finished else 'between inputs'
            hang = (f'no input started for {now - last_change:.0f} s, '
                    f'stuck {where} (input #{started}); thread {tid}: '
                    f'{thread_state(pid, tid)}')
            log(f'[{args.name}] HANG: {hang}; SIGABRT to thread {tid}')
            try:
                kstack = open(f'/proc/{pid}/task/{tid}/stack').read()
                logf.write('watchdog: kernel stack of the fuzzing thread:\n' +
                           kstack)
            except OSError:
                pass
            try:
                tgkill(pid, tid, signal.SIGABRT)
            except OSError as e:
                log(f'[{args.name}] tgkill failed: {e}')
            try:
                run.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                log(f'[{args.name}] fuzzer ignored SIGABRT; killing it '
                    '(input not saved)')
                run.proc.kill()
                run.proc.wait()
            break
        run.reader.join(timeout=10)
        rc = run.proc.returncode
        took = time.monotonic() - t0
        beat = read_heartbeat(hb)
        total_execs += beat[1] if beat else 0
        total_time += took
        if run.status:
            last_status = run.status
        restarts += 1
        if rc == 0 and not hang:
            break
        units = [u for u in run.units if os.path.exists(u)]
        if not units:
            log(f'[{args.name}] fuzzer exited {rc} without saving an input; '
                f'see {logpath}')
            if not hang:
                break
            continue
        unit = units[-1]
        if hang:
            new = os.path.join(findings_dir,
                               'hang-' + os.path.basename(unit).split('-', 1)[1])
            os.replace(unit, new)
            unit = new
        kind, frames = signature(run.report)
        if hang:
            kind = 'hang'
        key = finding_key(kind, frames)
        if key in seen:
            seen[key]['count'] += 1
            log(f'[{args.name}] same {kind} again ({unit}); restarting')
            continue
        f = {'kind': kind, 'frames': frames, 'unit': unit, 'count': 1,
             'detail': hang or '', 'report': run.report}
        seen[key] = f
        findings.append(f)
        with open(unit + '.report', 'w') as rf:
            if hang:
                rf.write('watchdog: ' + hang + '\n')
            rf.write('\n'.join(run.report) + '\n')
        log(f'[{args.name}] FOUND {kind} at {" <- ".join(frames[:3]) or "?"}'
            + (f', entered at {" <- ".join(frames[-2:])}' if hang else ''))
        log(f'[{args.name}]   input {unit}')
        if not args.no_repro:
            trace, sh, n, ok, how = make_reproducer(args, unit, env, bool(hang))
            f.update(trace=trace, sh=sh, ok=ok, how=how)
            log(f'[{args.name}]   qtest trace {trace} ({n} commands), '
                f'reproducer {sh}: {how}')
        log(f'[{args.name}] restarting on the corpus')

    eps = total_execs / total_time if total_time else 0
    cov = f'cov: {last_status[2]} ft: {last_status[3]} corp: {last_status[4]}' \
        if last_status else 'cov: ?'
    log(f'[{args.name}] SUMMARY: {total_execs} execs in {total_time:.0f} s '
        f'({eps:.0f} execs/s), {cov}, {restarts} fuzzer run(s), '
        f'{len(findings)} distinct finding(s)')
    for f in findings:
        log(f'[{args.name}]   {f["kind"]} x{f["count"]}: '
            f'{" <- ".join(f["frames"][:3]) or "?"}')
        log(f'[{args.name}]     input {f["unit"]}')
        if 'trace' in f:
            log(f'[{args.name}]     qtest trace {f["trace"]}; {f["how"]}')
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
