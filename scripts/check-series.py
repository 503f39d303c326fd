#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Check the series `make patches` exported (tests/suites/series.sh):
#
#   scripts/check-series.py am BASE_REPO SERIES_DIR WORK SERIES_HEAD
#       git am every patch, in order, onto a clone of the pristine tree in
#       WORK (every prefix applies), and check that the result is the
#       series make-patches built.
#   scripts/check-series.py compile WORK BUILD TREE
#       check out each prefix in WORK and compile (-fsyntax-only, with the
#       flags of the build of TREE) every C file the patch adds or changes
#       that this configuration builds; check that the meson.build and
#       QAPI schema lines each patch adds name files that exist at that
#       prefix, and that the QAPI schema generates where a patch changes
#       it.  The full series is built by `make` itself: make-patches
#       --check-tree proves it is the tree configure built.
#   scripts/check-series.py build WORK BUILD_DIR
#       the full check, too slow for make check (make check-series-full):
#       configure QEMU in BUILD_DIR (configure's flags) and build
#       qemu-system-x86_64 and qos-test at every prefix, incrementally.
#   scripts/check-series.py checkpatch WORK SERIES_DIR
#       run QEMU's scripts/checkpatch.pl on every patch: no error, and
#       every warning explained below the --- line by a line
#       "checkpatch: WARNING about <words of the warning> is expected: ...".
#
# Each prints what it did and exits 1 on a failure.

import json
import os
import re
import shlex
import subprocess
import sys


def sh(args, cwd=None, env=None, check=True):
    p = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    if check and p.returncode:
        print('FAILED: %s\n%s' % (' '.join(args), p.stdout))
        sys.exit(1)
    return p


def patches_in(d):
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if re.match(r'^\d{4}-.*\.patch$', n) and
                  not n.startswith('0000-'))


def git_env():
    return dict(os.environ, GIT_COMMITTER_NAME='irqhint series check',
                GIT_COMMITTER_EMAIL='series-check@invalid',
                GIT_AUTHOR_NAME='irqhint series check',
                GIT_AUTHOR_EMAIL='series-check@invalid')


def cmd_am(base, series, work, head):
    env = git_env()
    sh(['rm', '-rf', work])
    sh(['git', 'clone', '-q', '--shared', '--branch', 'upstream', base, work],
       env=env)
    sh(['git', 'checkout', '-q', '-b', 'am'], cwd=work, env=env)
    pl = patches_in(series)
    for n, p in enumerate(pl, 1):
        r = sh(['git', 'am', '-q', '--whitespace=nowarn', p], cwd=work,
               env=env, check=False)
        if r.returncode:
            print('patch %d (%s) does not apply with git am:\n%s' %
                  (n, os.path.basename(p), r.stdout))
            sh(['git', 'am', '--abort'], cwd=work, env=env, check=False)
            return 1
    got = sh(['git', 'rev-parse', 'HEAD^{tree}'], cwd=work).stdout.strip()
    want = sh(['git', 'rev-parse', head + '^{tree}'], cwd=work).stdout.strip()
    if got != want:
        print('git am of the series gives tree %s, make-patches built %s'
              % (got, want))
        return 1
    print('%d patches applied with git am, each onto the one before' %
          len(pl))
    return 0


def added_lines(work, commit, path):
    out = sh(['git', 'show', '--format=', '-U0', commit, '--', path],
             cwd=work).stdout
    return [l[1:] for l in out.splitlines()
            if l.startswith('+') and not l.startswith('+++')]


def syntax_cmd(entry, tree, work):
    args = shlex.split(entry['command'])
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ('-MQ', '-MF', '-o'):
            skip = True
            continue
        if a in ('-MD', '-c'):
            continue
        a = a.replace(tree, work)
        a = re.sub(r'(^|(?<=[=IQ]))\.\./src(?=/|$)', work, a)
        out.append(a)
    out.append('-fsyntax-only')
    return out


def cmd_compile(work, build, tree):
    tree = os.path.realpath(tree)
    with open(os.path.join(build, 'compile_commands.json')) as f:
        db = json.load(f)
    by_file = {}
    for e in db:
        path = os.path.normpath(os.path.join(e['directory'], e['file']))
        rel = os.path.relpath(path, tree)
        by_file.setdefault(rel, e)
    commits = sh(['git', 'rev-list', '--reverse', 'upstream..am'],
                 cwd=work).stdout.split()
    fails = 0
    compiled = 0
    schemas = 0
    skipped = []
    for n, c in enumerate(commits, 1):
        sh(['git', 'checkout', '-q', c], cwd=work)
        subject = sh(['git', 'log', '-1', '--format=%s', c],
                     cwd=work).stdout.strip()
        changed = sh(['git', 'show', '--format=', '--name-only',
                      '--diff-filter=AM', c], cwd=work).stdout.split()
        if any(p.startswith('qapi/') and p.endswith('.json')
               for p in changed):
            r = subprocess.run(['python3', 'scripts/qapi-gen.py', '-o',
                                os.path.join(work, '.qapi-check'), '-b',
                                'qapi/qapi-schema.json'], cwd=work,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True)
            sh(['rm', '-rf', os.path.join(work, '.qapi-check')])
            schemas += 1
            if r.returncode:
                print('patch %d (%s): the QAPI schema does not generate:\n%s'
                      % (n, subject, r.stdout[-3000:]))
                fails += 1
        for path in changed:
            base = os.path.basename(path)
            if base == 'meson.build':
                for line in added_lines(work, c, path):
                    for name in re.findall(r"'([^']+\.[ch])'", line):
                        full = os.path.join(work, os.path.dirname(path), name)
                        if not os.path.exists(full):
                            print('patch %d (%s): %s names %s, which does '
                                  'not exist yet' % (n, subject, path, name))
                            fails += 1
            if path.startswith('qapi/') and path.endswith('.json'):
                for line in added_lines(work, c, path):
                    for name in re.findall(r"'include':\s*'([^']+)'", line):
                        if not os.path.exists(os.path.join(work, 'qapi',
                                                           name)):
                            print('patch %d (%s): %s includes %s, which '
                                  'does not exist yet' % (n, subject, path,
                                                         name))
                            fails += 1
            if not path.endswith('.c'):
                continue
            e = by_file.get(path)
            if e is None:
                skipped.append(path)
                continue
            r = subprocess.run(syntax_cmd(e, tree, work), cwd=e['directory'],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True)
            compiled += 1
            if r.returncode:
                print('patch %d (%s): %s does not compile:\n%s' %
                      (n, subject, path, r.stdout[-3000:]))
                fails += 1
    sh(['git', 'checkout', '-q', 'am'], cwd=work)
    print('%d prefixes: %d compiles of the C files they add or change, '
          '%d QAPI schema generations' % (len(commits), compiled, schemas))
    if skipped:
        print('not built in this configuration, not compiled: ' +
              ', '.join(sorted(set(skipped))))
    return 1 if fails else 0


def configure_flags():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, 'configure')) as f:
        m = re.search(r'^QEMU_CONFIGURE_FLAGS="([^"]*)"', f.read(), re.M)
    return m.group(1).split()


def cmd_build(work, build):
    commits = sh(['git', 'rev-list', '--reverse', 'upstream..am'],
                 cwd=work).stdout.split()
    for n, c in enumerate(commits, 1):
        sh(['git', 'checkout', '-q', c], cwd=work)
        subject = sh(['git', 'log', '-1', '--format=%s', c],
                     cwd=work).stdout.strip()
        if n == 1:
            sh(['rm', '-rf', build])
            os.makedirs(build)
            sh([os.path.join(work, 'configure')] + configure_flags(),
               cwd=build)
        r = subprocess.run(['ninja', 'qemu-system-x86_64',
                            'tests/qtest/qos-test'], cwd=build,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode:
            print('patch %d (%s) does not build:\n%s' %
                  (n, subject, r.stdout[-5000:]))
            sh(['git', 'checkout', '-q', 'am'], cwd=work)
            return 1
        print('patch %d (%s): builds' % (n, subject), flush=True)
    sh(['git', 'checkout', '-q', 'am'], cwd=work)
    return 0


def cmd_checkpatch(work, series):
    fails = 0
    warnings = 0
    for p in patches_in(series):
        name = os.path.basename(p)
        r = sh(['perl', 'scripts/checkpatch.pl', '--no-color', p],
               cwd=work, check=False)
        with open(p) as f:
            text = f.read()
        # the explanations sit below the --- line, before the diff
        body = text.split('\ndiff --git ', 1)[0]
        why = [m.group(1).strip().lower() for m in
               re.finditer(r'^checkpatch: WARNING about (.+?) is expected',
                           body, re.M)]
        used = set()
        m = re.search(r'^total: (\d+) errors, (\d+) warnings', r.stdout, re.M)
        if not m:
            print('%s: checkpatch did not finish:\n%s' % (name, r.stdout))
            fails += 1
            continue
        if int(m.group(1)):
            print('%s: %s errors:\n%s' % (name, m.group(1), r.stdout))
            fails += 1
        for w in re.findall(r'^WARNING: (.*)$', r.stdout, re.M):
            warnings += 1
            ok = [j for j in why if j in w.lower()]
            if ok:
                used.update(ok)
                continue
            print('%s: warning not explained below --- ("checkpatch:'
                  ' WARNING about <words> is expected: <why>"): %s\n%s' %
                  (name, w, r.stdout))
            fails += 1
        for j in why:
            if j not in used:
                print('%s: note: no checkpatch warning about "%s" any more; '
                      'the explanation can go' % (name, j))
    print('%d patches: checkpatch %s, %d warnings, each explained' %
          (len(patches_in(series)), 'failed' if fails else '0 errors',
           warnings))
    return 1 if fails else 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'am' and len(sys.argv) == 6:
        return cmd_am(*sys.argv[2:])
    if cmd == 'compile' and len(sys.argv) == 5:
        return cmd_compile(*sys.argv[2:])
    if cmd == 'build' and len(sys.argv) == 4:
        return cmd_build(*sys.argv[2:])
    if cmd == 'checkpatch' and len(sys.argv) == 4:
        return cmd_checkpatch(*sys.argv[2:])
    sys.stderr.write('usage: see the head of %s\n' % sys.argv[0])
    return 2


if __name__ == '__main__':
    sys.exit(main())
