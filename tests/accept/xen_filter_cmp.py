#!/usr/bin/python3
"""xen_filter_cmp.py - does filtering a whole Xen host dump keep dom0's frames as filtering
dom0's own standalone dump does?

usage: xen_filter_cmp.py HOST_MANIFEST DOM0_MANIFEST P2M PAGE_TABLES [DOM0_UNFILTERED_MANIFEST]

HOST_MANIFEST: `vmcarve manifest` of the host dump converted with -d N (machine frames);
DOM0_MANIFEST: `vmcarve manifest` of `vmcarve extract --domain 0 --dump-level N` (dom0's
pfns); P2M: the bed's truth p2m of dom0 (crash's reading of dom0's p2m list: "R PFN MFN COUNT"
runs, pfn -> mfn). For every pfn of the truth p2m, the frame must be kept in both or left out of
both, and where kept, hold the same bytes (the manifests' hashes), except for at most
PAGE_TABLES frames (what `vmcarve list -v` reports as dom0's canonicalised page tables: the
standalone PV output rewrites their entries from machine to pseudo-physical frames). Every other
difference is printed and fails (exit 1); with DOM0_UNFILTERED_MANIFEST, pfns the standalone
dump never held (not in dom0's unfiltered output) are not compared but listed.
"""
import sys


def manifest(path):
    """{frame: hash or None (excluded)}"""
    out = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) >= 2 and w[0].startswith('0x'):
                out[int(w[0], 16)] = None if w[1] == 'excluded' else w[1]
    return out


def p2m_runs(path):
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 4 and w[0] == 'R':
                pfn, mfn, n = int(w[1], 16), int(w[2], 16), int(w[3])
                for i in range(n):
                    yield pfn + i, mfn + i


def main(argv):
    if len(argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    host, dom0 = manifest(argv[1]), manifest(argv[2])
    npt = int(argv[4])
    held = manifest(argv[5]) if len(argv) == 6 else None
    n = kept = ptdiff = 0
    bad, unheld, pfns = [], [], set()
    for pfn, mfn in p2m_runs(argv[3]):
        n += 1
        pfns.add(pfn)
        if held is not None and held.get(pfn) is None:
            unheld.append(pfn)
            continue
        a, b = dom0.get(pfn), host.get(mfn)
        if a is None and b is None:
            continue
        if a is not None and a == b:
            kept += 1
            continue
        if a is not None and b is not None:
            ptdiff += 1
            continue
        what = ('kept only in the host output' if a is None else 'kept only in dom0\'s output' if b is None
                else 'bytes differ')
        bad.append(f'  DIFF pfn {pfn:#x} -> mfn {mfn:#x}: {what}')
    extra = sorted(p for p, h in dom0.items() if h is not None and p not in pfns)
    if ptdiff > npt:
        bad.append(f'  DIFF {ptdiff} frames kept in both hold different bytes: more than the {npt} page tables')
    print(f'xen_filter_cmp: {n} dom0 pfns of the truth p2m: {kept} kept in both with the same bytes, '
          f'{ptdiff} kept in both as (canonicalised) page tables (<= {npt}), '
          f'{n - kept - ptdiff - len(bad) - len(unheld)} left out of both, {len(bad)} differ'
          + (f'; {len(unheld)} not held by dom0\'s unfiltered output' if unheld else '')
          + f'; {len(extra)} kept pfns of dom0\'s output beyond the truth p2m')
    for line in bad[:40]:
        print(line)
    if len(bad) > 40:
        print(f'  ... {len(bad) - 40} more')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
