#!/usr/bin/python3
"""foreign_xen.py OUTPUT OWN BEDDIR: no frame of another domain in a carved Xen PV output.

A PV output is in the domain's own pfn space: its frame P holds machine frame p2m[P] of the
domain's own p2m as the bed recorded it (truth/<domain>.p2m.txt), so the machine frames an
output holds are its pfns through that map (pfns the truth does not map are counted apart).
A frame is foreign when another domain's p2m maps a guest page to it. Marker pages of other domains
that sit at frames no other domain owns are copies in this domain's own memory (dom0 runs
`xl dump-core`, whose files pass through its page cache) and are reported, not failed.
Prints one line; exit 0 when the foreign count is 0."""
import os
import sys

sys.path.insert(0, os.environ["VMCARVE_COMMON"])  # the test bed's common/ (foreign.sh sets it)
import dumpread  # noqa: E402


def p2m_map(path):
    m = {}
    with open(path) as f:
        for line in f:
            if line.startswith("R "):
                _, pfn, mfn, n = line.split()
                for i in range(int(n)):
                    m[int(pfn, 16) + i] = int(mfn, 16) + i
    return m


def p2m_mfns(path):
    mfns = set()
    with open(path) as f:
        for line in f:
            if line.startswith("R "):
                _, _pfn, mfn, n = line.split()
                mfns.update(range(int(mfn, 16), int(mfn, 16) + int(n)))
    return mfns


def main():
    out, own, bed = sys.argv[1:4]
    doms = {}
    with open(os.path.join(bed, "truth", "domains.txt")) as f:
        for line in f:
            if line.startswith("name="):
                kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
                doms[kv["name"]] = os.path.join(bed, kv["map"])
    other = {n: p2m_mfns(m) for n, m in doms.items() if n != own}
    d = dumpread.KdumpDump(out, space="machphys") if dumpread.sniff(out) == "kdump" else dumpread.SegDump(out)
    own_map = p2m_map(doms[own])
    pfns = set(d.frames())
    frames = {own_map[p] for p in pfns if p in own_map}
    unmapped = len(pfns) - len(frames)
    foreign = {n: len(frames & s) for n, s in other.items()}
    copies = 0
    for pfn in d.marker_frames(b"VMCARVE-TRUTH"):
        label = d.page(pfn)[16:48].split(b"\0")[0].decode(errors="replace")
        if label != own and not any(own_map.get(pfn) in s for s in other.values()):
            copies += 1
    total = sum(foreign.values())
    print("frames=%d (not in the truth p2m: %d) foreign=%d (%s) other-label marker copies in own memory=%d -> %s" % (
        len(pfns), unmapped, total, " ".join("%s:%d" % kv for kv in sorted(foreign.items())), copies,
        "PASS" if total == 0 else "FAIL"))
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
