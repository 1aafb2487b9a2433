#!/usr/bin/env python3
# check-man.py: the man pages render without a single warning (man -l, groff -ww), and
# vmcarve.1 names every long and short option the commands in cmd/*.c accept, so the page
# cannot fall behind the code.
#   check-man.py SOURCE_DIR
import glob
import os
import re
import subprocess
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
PAGES = [os.path.join(ROOT, 'docs', 'man', p) for p in ('vmcarve.1', 'libvmcarve.3')]
failures = []


def render(page):
    """man -l (man-db, as a reader sees it, at three widths; also with every groff warning) and groff -ww: any stderr is a warning."""
    env = dict(os.environ, LC_ALL='C.UTF-8', MAN_KEEP_STDERR='1')
    runs = [(['groff', '-ww', '-man', '-z', page], env)]
    for width in ('60', '80', '160'):
        runs.append((['man', '-l', page], dict(env, MANWIDTH=width)))
        runs.append((['man', '--warnings=w', '-l', page], dict(env, MANWIDTH=width)))
    for cmd, e in runs:
        p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode or p.stderr.strip():
            failures.append('%s (MANWIDTH=%s): exit %d: %s' % (' '.join(cmd), e.get('MANWIDTH', '-'),
                                      p.returncode, p.stderr.strip()))
    p = subprocess.run(['lexgrog', page], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode:
        failures.append('lexgrog %s: no NAME section whatis can parse: %s' % (page, p.stdout + p.stderr))


def code_options():
    """Long options of every `struct option` table and short letters of every getopt string in cmd/."""
    longs, shorts = set(), set()
    for path in sorted(glob.glob(os.path.join(ROOT, 'cmd', '*.c'))):
        src = open(path).read()
        for table in re.findall(r'struct option\s+\w+\[\]\s*=\s*\{(.*?)\};', src, re.S):
            longs |= set(re.findall(r'\{\s*"([^"]+)"\s*,', table))
        for call in re.findall(r'getopt_long\s*\((.*?)\)\s*\)', src, re.S):
            for s in re.findall(r'"([^"]*)"', call):
                shorts |= set(c for c in s if c != ':')
        # hand-parsed options (info, manifest, main): string compares against "-x" / "--xx"
        for opt in re.findall(r'strcmp\(argv\[\w+\],\s*"(-[^"]+)"\)', src):
            (longs.add(opt[2:]) if opt.startswith('--') else shorts.add(opt[1:]))
    # option entries the commands share through a macro in a header (cli.h CLI_WRITE_LONGOPTS)
    for path in sorted(glob.glob(os.path.join(ROOT, 'cmd', '*.h'))):
        longs |= set(re.findall(r'\{\s*"([^"]+)"\s*,\s*(?:no|required|optional)_argument', open(path).read()))
    return longs, shorts


def page_options(page):
    """Options as the page spells them: \\-\\-name and \\-x inside bold."""
    text = open(page).read()
    longs = set(re.findall(r'\\fB\\-\\-((?:[a-z0-9]|\\-)+)', text))
    longs = set(o.replace('\\-', '-') for o in longs)
    shorts = set(re.findall(r'\\fB\\-([A-Za-z0-9])(?:\\fR|[ ,|])', text))
    return longs, shorts


for page in PAGES:
    if not os.path.exists(page):
        failures.append('%s: missing' % page)
        continue
    render(page)

longs, shorts = code_options()
if len(longs) < 10 or len(shorts) < 5:
    failures.append('found only %d long and %d short options in cmd/*.c: the parser above is out of date'
            % (len(longs), len(shorts)))
plong, pshort = page_options(PAGES[0])
for o in sorted(longs - plong):
    failures.append('vmcarve.1 does not document --%s (cmd/*.c accepts it)' % o)
for o in sorted(shorts - pshort):
    failures.append('vmcarve.1 does not document -%s (cmd/*.c accepts it)' % o)
for o in sorted(plong - longs):
    failures.append('vmcarve.1 documents --%s, which no command accepts' % o)

for f in failures:
    print('doc.man: ' + f)
print('doc.man: %d long and %d short options checked, %d page(s) rendered: %s'
      % (len(longs), len(shorts), len(PAGES), 'FAIL' if failures else 'ok'))
sys.exit(1 if failures else 0)
