#!/usr/bin/python3
"""showstats_cmp.py - does `vmcarve info -v` count what `makedumpfile --show-stats` counts?

usage: showstats_cmp.py MLOG INFO_JSON ELF

MLOG: the output of `makedumpfile -d 31 --show-stats ELF OUT`; INFO_JSON: `vmcarve info -v
--json ELF`. The classes cache, private cache, user data, free, hwpoison and offline must be
equal. Zero pages may differ by exactly the frames that ELF's PT_LOADs hold only in part and
whose held bytes are all zero: makedumpfile 1.7.2 rounds a segment's end down (the frame is a
hole to it), vmcarve keeps the frame zero-filled and so counts it as a zero page. Read here
from the ELF file itself, not through vmcarve.
makedumpfile's "Original pages" and "Remaining pages" are not compared: it derives them from
max_mapnr minus the holes it counted while writing (print_report(): pfn_memhole), which on a
cyclic run is not the number of frames the PT_LOADs hold; vmcarve reports the frames held.
Exit 0: equal (with the explained zero difference); 1: a difference; 2: read error.
"""
import json
import re
import sys

from elfnotes import pt_loads

NAMES = {'Pages filled with zero': 'zero', 'Non-private cache pages': 'cache',
         'Private cache pages': 'cache_private', 'User process data pages': 'user',
         'Free pages': 'free', 'Hwpoison pages': 'hwpoison', 'Offline pages': 'offline'}


def mdf_counts(path):
    out = {}
    for line in open(path, errors='replace'):
        m = re.match(r'\s*(.+?)\s*:\s*0x([0-9a-f]+)\s*$', line)
        if m and m.group(1) in NAMES:
            out[NAMES[m.group(1)]] = int(m.group(2), 16)
        m = re.match(r'\s*(Original pages|Remaining pages)\s*:\s*0x([0-9a-f]+)', line)
        if m:
            out[m.group(1)] = int(m.group(2), 16)
    if len([k for k in out if k in NAMES.values()]) != len(NAMES):
        raise SystemExit(f'{path}: no complete --show-stats report')
    return out


def partial_zero_frames(path, page=4096):
    """Frames a PT_LOAD holds only in part at its end, whose held bytes are all zero."""
    out = []
    with open(path, 'rb') as f:
        for paddr, off, filesz, memsz in pt_loads(path):
            end = paddr + min(filesz, memsz)
            if not end % page or end // page == paddr // page:
                continue
            f.seek(off + (end // page * page - paddr))
            held = f.read(end % page)
            if held == bytes(len(held)):
                out.append(end // page)
    return out


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    md = mdf_counts(argv[1])
    vc = json.load(open(argv[2]))['page_stats']
    partial = partial_zero_frames(argv[3])
    bad = [k for k in NAMES.values() if k != 'zero' and md[k] != vc[k]]
    zdiff = vc['zero'] - md['zero']
    if zdiff != len(partial):
        bad.append('zero')
    print('showstats_cmp: ' + ', '.join(f'{k} {vc[k]}' for k in NAMES.values()) +
          f'; vmcarve held {vc["pages"]} remaining {vc["remaining"]}; makedumpfile original '
          f'{md.get("Original pages")} remaining {md.get("Remaining pages")} (not compared)')
    for p in partial:
        print(f'  allowed: zero +1: frame {p:#x} is held only in part (all zero): a hole to makedumpfile')
    for k in bad:
        print(f'  DIFF {k}: makedumpfile {md[k]}, vmcarve {vc[k]}' +
              (f' (expected +{len(partial)} partial zero frames)' if k == 'zero' else ''))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
