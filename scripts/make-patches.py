#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Export irqhint as a git format-patch series against the pinned upstream
# source, as it would be posted to qemu-devel.
#
#   scripts/make-patches.py [--out DIR] [--check-tree]
#
# patches/series.txt (the manifest) says, for each patch of the series in
# order, its subject, its body, which of our files it adds and which
# patches/NNNN hunks it applies.  This script:
#   1. checks that the manifest covers every file of ours that configure
#      lays over the upstream tree, and every file of every patches/*.patch,
#      exactly once;
#   2. builds the commits in a git repository made from the pristine
#      unpacked source (cached beside it, made once), without a work tree:
#      a private index, git apply --cached, git commit-tree;
#   3. with --check-tree, checks that the series' final tree is the tree
#      configure built (overlay + patches/): the series is that code;
#   4. writes git format-patch --cover-letter output to DIR, the cover
#      letter filled in from the manifest.
# The repository and the last commit are printed (for tests/suites/).

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, 'patches', 'series.txt')


def die(msg):
    sys.stderr.write('make-patches: error: %s\n' % msg)
    sys.exit(1)


def run(args, cwd=None, env=None, inp=None):
    p = subprocess.run(args, cwd=cwd, env=env, input=inp,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode:
        die('%s failed:\n%s%s' % (' '.join(args), p.stdout, p.stderr))
    return p.stdout


class Patch:
    def __init__(self, where):
        self.where = where
        self.subject = None
        self.files = []
        self.hunks = []     # (patch file name, [paths] or None for all)
        self.body = []


def parse_manifest(path):
    """Blocks start with '=== patch' or '=== cover'; header lines
    (Subject:, Files:, Hunks:, continued by indented lines) up to the
    first blank line, then the body.  '#' lines are comments."""
    cover = None
    patches = []
    cur = None
    in_body = False
    key = None
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if line.startswith('#'):
                continue
            m = re.match(r'^=== (patch|cover)\s*$', line)
            if m:
                cur = Patch('%s:%d' % (os.path.basename(path), n))
                if m.group(1) == 'cover':
                    if cover:
                        die('%s: a second cover block' % cur.where)
                    cover = cur
                else:
                    patches.append(cur)
                in_body = False
                key = None
                continue
            if cur is None:
                if line.strip():
                    die('%s:%d: text before the first block' %
                        (os.path.basename(path), n))
                continue
            if in_body:
                cur.body.append(line)
                continue
            if not line.strip():
                in_body = True
                continue
            m = re.match(r'^(Subject|Files|Hunks):\s*(.*)$', line)
            if m:
                key = m.group(1)
                val = m.group(2)
            elif line[0] in ' \t' and key in ('Files', 'Hunks'):
                val = line
            else:
                die('%s:%d: expected Subject:, Files: or Hunks:' %
                    (os.path.basename(path), n))
            if key == 'Subject':
                cur.subject = val.strip()
            elif key == 'Files':
                cur.files += val.split()
            else:
                for item in val.split():
                    name, _, paths = item.partition(':')
                    cur.hunks.append((name, paths.split(',') if paths
                                      else None))
    for p in patches + ([cover] if cover else []):
        while p.body and not p.body[-1].strip():
            p.body.pop()
        while p.body and not p.body[0].strip():
            p.body.pop(0)
        if not p.subject:
            die('%s: no Subject:' % p.where)
        if not p.body:
            die('%s: no body: say why' % p.where)
    if not cover:
        die('the manifest has no "=== cover" block')
    return cover, patches


def overlay_files():
    """The files configure lays over the tree (its OVERLAY_DIRS)."""
    with open(os.path.join(ROOT, 'configure')) as f:
        m = re.search(r'^OVERLAY_DIRS="([^"]*)"', f.read(), re.M)
    if not m:
        die('no OVERLAY_DIRS in configure')
    out = set()
    for d in m.group(1).split():
        top = os.path.join(ROOT, d)
        for dirpath, _, names in os.walk(top):
            for n in names:
                if not n.endswith('~'):
                    out.add(os.path.relpath(os.path.join(dirpath, n), ROOT))
    return out


def patch_paths(path):
    """The files a patches/ file changes (strip 1)."""
    out = []
    with open(path) as f:
        for line in f:
            m = re.match(r'^\+\+\+ b/(\S+)', line)
            if m and m.group(1) not in out:
                out.append(m.group(1))
    return out


def check_coverage(patches):
    ours = overlay_files()
    seen = {}
    for p in patches:
        for f in p.files:
            if f in seen:
                die('%s: %s is already in %s' % (p.where, f, seen[f]))
            if f not in ours:
                die('%s: %s is not a file of ours under configure\'s '
                    'OVERLAY_DIRS' % (p.where, f))
            seen[f] = p.where
    missing = sorted(ours - set(seen))
    if missing:
        die('in no patch of patches/series.txt: ' + ', '.join(missing))

    pdir = os.path.join(ROOT, 'patches')
    used = {}
    for p in patches:
        for name, paths in p.hunks:
            full = os.path.join(pdir, name)
            if not os.path.isfile(full):
                die('%s: no patches/%s' % (p.where, name))
            have = patch_paths(full)
            for path in (paths if paths else have):
                if path not in have:
                    die('%s: patches/%s does not change %s' %
                        (p.where, name, path))
                if (name, path) in used:
                    die('%s: patches/%s %s is already in %s' %
                        (p.where, name, path, used[(name, path)]))
                used[(name, path)] = p.where
    for name in sorted(os.listdir(pdir)):
        if not name.endswith('.patch'):
            continue
        for path in patch_paths(os.path.join(pdir, name)):
            if (name, path) not in used:
                die('in no patch of patches/series.txt: patches/%s %s' %
                    (name, path))


def cache_dirs():
    build = run([os.path.join(ROOT, 'configure'), '--print-builddir']).strip()
    top = os.path.dirname(build)
    return build, os.path.join(top, 'pristine'), os.path.join(top, 'src')


def base_repo(pristine):
    """A git repository of the pristine tree, made once beside it."""
    repo = os.path.join(os.path.dirname(pristine), 'series-base.git')
    if os.path.isfile(os.path.join(repo, 'irqhint-base')):
        return repo
    if not os.path.isfile(os.path.join(pristine, '.unpacked')):
        die('no pristine source in %s: run ./configure first' % pristine)
    sys.stderr.write('make-patches: making a git repository of %s\n'
                     % pristine)
    shutil.rmtree(repo, ignore_errors=True)
    run(['git', 'init', '-q', '--bare', repo])
    env = dict(os.environ, GIT_DIR=repo, GIT_WORK_TREE=pristine,
               GIT_AUTHOR_NAME='upstream', GIT_AUTHOR_EMAIL='upstream@invalid',
               GIT_COMMITTER_NAME='upstream',
               GIT_COMMITTER_EMAIL='upstream@invalid',
               GIT_AUTHOR_DATE='2025-01-01T00:00:00Z',
               GIT_COMMITTER_DATE='2025-01-01T00:00:00Z')
    with open(os.path.join(repo, 'info', 'exclude'), 'w') as f:
        f.write('/.unpacked\n')
    run(['git', 'config', 'core.autocrlf', 'false'], env=env)
    run(['git', 'add', '-A', '-f', '.'], cwd=pristine, env=env)
    run(['git', 'rm', '-q', '--cached', '--ignore-unmatch', '.unpacked'],
        cwd=pristine, env=env)
    run(['git', 'commit', '-q', '--no-verify', '-m',
         'qemu %s (Debian source package, unpacked)' %
         os.path.basename(os.path.dirname(pristine))], cwd=pristine, env=env)
    run(['git', 'tag', 'upstream'], env=env)
    open(os.path.join(repo, 'irqhint-base'), 'w').close()
    return repo


def identity():
    """Author and Signed-off-by: AUTHOR="Name <mail>" (make patches
    AUTHOR=...; SIGNOFF is the older name), else git config
    user.name/user.email, else the author of this repository's HEAD."""
    who = os.environ.get('AUTHOR') or os.environ.get('SIGNOFF')
    if who:
        m = re.match(r'^(.*?)\s*<([^>]+)>$', who)
        if not m:
            die('AUTHOR must be "Name <mail>"')
        return m.group(1), m.group(2)

    def git(*args):
        return subprocess.run(['git'] + list(args), cwd=ROOT,
                              stdout=subprocess.PIPE,
                              universal_newlines=True).stdout.strip()
    name, mail = git('config', 'user.name'), git('config', 'user.email')
    if not name or not mail:
        name, mail = git('log', '-1', '--format=%an'), \
            git('log', '-1', '--format=%ae')
    if not name or not mail:
        die('no identity for Signed-off-by: set AUTHOR="Name <mail>"')
    return name, mail


def split_notes(lines):
    """A body's paragraphs for the commit message, and those that start
    with "checkpatch:" (for the reviewer, below the --- line)."""
    paras, cur = [], []
    for ln in lines + ['']:
        if ln.strip():
            cur.append(ln)
        elif cur:
            paras.append(cur)
            cur = []
    notes = [q for q in paras if q[0].startswith('checkpatch:')]
    body = [q for q in paras if not q[0].startswith('checkpatch:')]
    return ('\n\n'.join('\n'.join(q) for q in body).split('\n'),
            '\n\n'.join('\n'.join(q) for q in notes))


def add_notes(path, notes):
    """Put NOTES below the first --- line of a format-patch file, where
    git am ignores them."""
    if not notes:
        return
    with open(path) as f:
        text = f.read()
    i = text.index('\n---\n') + len('\n---\n')
    with open(path, 'w') as f:
        f.write(text[:i] + notes + '\n\n' + text[i:])


def build_series(repo, patches, name, mail, date):
    env = dict(os.environ, GIT_DIR=repo,
               GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=mail,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=mail,
               GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    tmp = tempfile.mkdtemp(prefix='irqhint-series-')
    env['GIT_INDEX_FILE'] = os.path.join(tmp, 'index')
    try:
        parent = run(['git', 'rev-parse', 'upstream^{commit}'],
                     env=env).strip()
        run(['git', 'read-tree', parent], env=env)
        for i, p in enumerate(patches, 1):
            for f in p.files:
                blob = run(['git', 'hash-object', '-w', '--',
                            os.path.join(ROOT, f)], env=env).strip()
                mode = '100755' if os.access(os.path.join(ROOT, f),
                                             os.X_OK) else '100644'
                run(['git', 'update-index', '--add', '--cacheinfo',
                     '%s,%s,%s' % (mode, blob, f)], env=env)
            for pname, paths in p.hunks:
                args = ['git', 'apply', '--cached', '-p1']
                for path in paths or []:
                    args.append('--include=' + path)
                args.append(os.path.join(ROOT, 'patches', pname))
                r = subprocess.run(args, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT,
                                   universal_newlines=True)
                if r.returncode:
                    die('%s: patches/%s does not apply after patch %d of '
                        'the series:\n%s' % (p.where, pname, i - 1,
                                             r.stdout))
            tree = run(['git', 'write-tree'], env=env).strip()
            body, _ = split_notes(p.body)
            # Signed-off-by joins the trailers (Fixes:, Cc:) if the body
            # ends with them: one trailer block
            last = '\n'.join(body).rsplit('\n\n', 1)[-1].split('\n')
            trailers = all(re.match(r'^[A-Z][A-Za-z-]*: ', ln) for ln in last)
            msg = '%s\n\n%s\n%sSigned-off-by: %s <%s>\n' % (
                p.subject, '\n'.join(body), '' if trailers else '\n', name, mail)
            parent = run(['git', 'commit-tree', tree, '-p', parent],
                         env=env, inp=msg).strip()
        run(['git', 'update-ref', 'refs/heads/series', parent], env=env)
    finally:
        shutil.rmtree(tmp)
    return parent


def check_tree(repo, head, src):
    """The series' final tree is configure's tree, file for file, where
    either differs from upstream."""
    env = dict(os.environ, GIT_DIR=repo)
    changed = run(['git', 'diff', '--name-only', 'upstream', head],
                  env=env).split()
    names = set(changed)
    for marker in ('.overlay', '.patched-files'):
        try:
            with open(os.path.join(src, marker)) as f:
                names |= set(f.read().split())
        except OSError:
            die('no %s in %s: run ./configure first' % (marker, src))
    bad = []
    for f in sorted(names):
        r = subprocess.run(['git', 'show', '%s:%s' % (head, f)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        want = r.stdout if r.returncode == 0 else None
        try:
            with open(os.path.join(src, f), 'rb') as fh:
                have = fh.read()
        except OSError:
            have = None
        if want != have:
            bad.append(f)
    if bad:
        die('the series differs from the tree configure built in: ' +
            ', '.join(bad))


NOT_UPSTREAM = """\
Not part of this series: the files of the project that are not QEMU source
(the Linux guest driver in guest/, benchmarks in bench/, build and test
scripts in scripts/, guest boot tests and bare-metal SVM test kernels in
tests/guest/, test suites in tests/suites/, the Makefile, configure and
README).  They build and test this series out of tree."""


def write_series(repo, head, patches, cover, out):
    env = dict(os.environ, GIT_DIR=repo)
    if os.path.isdir(out):
        for n in os.listdir(out):
            if n.endswith('.patch'):
                os.unlink(os.path.join(out, n))
    os.makedirs(out, exist_ok=True)
    files = run(['git', 'format-patch', '-q', '--cover-letter', '--no-signature',
                 '--no-numbered' if len(patches) == 1 else '--numbered',
                 '--subject-prefix=PATCH', '-o', out, 'upstream..' + head],
                env=env).split()
    files = [f for f in files if f]
    numbered = sorted(os.path.join(out, n) for n in os.listdir(out)
                      if n.endswith('.patch') and n != '0000-cover-letter.patch')
    for f, p in zip(numbered, patches):
        add_notes(f, split_notes(p.body)[1])
    letter = os.path.join(out, '0000-cover-letter.patch')
    with open(letter) as f:
        text = f.read()
    blurb = '\n'.join(cover.body) + '\n\n' + NOT_UPSTREAM
    if '*** SUBJECT HERE ***' not in text or '*** BLURB HERE ***' not in text:
        die('unexpected cover letter template')
    text = text.replace('*** SUBJECT HERE ***', cover.subject)
    text = text.replace('*** BLURB HERE ***', blurb)
    with open(letter, 'w') as f:
        f.write(text)
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', help='output directory (default: '
                    'patches-out beside the build directory)')
    ap.add_argument('--check-tree', action='store_true',
                    help='check the final tree against configure\'s')
    args = ap.parse_args()

    cover, patches = parse_manifest(MANIFEST)
    check_coverage(patches)
    build, pristine, src = cache_dirs()
    repo = base_repo(pristine)
    name, mail = identity()
    date = run(['git', 'log', '-1', '--format=%aI'], cwd=ROOT).strip()
    head = build_series(repo, patches, name, mail, date)
    if args.check_tree:
        check_tree(repo, head, src)
    out = args.out or os.path.join(os.path.dirname(build), 'patches-out')
    files = write_series(repo, head, patches, cover, out)
    sys.stderr.write('make-patches: %d patches and a cover letter in %s\n'
                     % (len(patches), out))
    print('repo %s' % repo)
    print('head %s' % head)
    print('out %s' % os.path.abspath(out))


if __name__ == '__main__':
    main()
