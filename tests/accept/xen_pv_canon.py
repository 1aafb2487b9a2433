#!/usr/bin/python3
"""xen_pv_canon.py COMMON_DIR XC_CORE MFNDUMP OUTPUT

A carved PV domain in pfn space against Xen's own `xl dump-core` of it: every page of the
xc_core (pfn-indexed through its .xen_p2m) must equal OUTPUT's page at the same pfn, except
the page tables, which must equal an independent canonicalisation of the xc_core page (the
rules of Xen's normalise_pagetable, xg_sr_save_x86_pv.c, plus clearing what it rejects):
  * L4 slots 256..271 (Xen's) are zero;
  * a non-present entry is unchanged;
  * a present entry whose frame the xc_core's p2m maps (the domain's own RAM) carries that
    pfn instead of the mfn, its flags unchanged;
  * any other present entry (a PSE at L2..L4, or a frame the domain does not own) keeps its
    flags but loses the frame and the present bit.
The page-table set and levels come from Xen's type info as xen-mfndump dump-p2m printed it
(MFNDUMP, taken while the domain was paused), not from the pages themselves. Prints one
result line ending in "-> PASS" or "-> FAIL".
"""
import re
import struct
import sys

PRESENT, PSE, FRAME = 0x1, 0x80, 0x000FFFFFFFFFF000


def pt_set(path):
    types = {}
    pat = re.compile(r"pfn=(0x[0-9a-f]+) ==> mfn=(0x[0-9a-f]+) \(type (0x[0-9a-f]+)\).*\bL([1-4])\s*$")
    with open(path) as f:
        for line in f:
            m = pat.search(line)
            if m:
                types[int(m.group(1), 16)] = int(m.group(4))
    return types


def canon(page, level, m2p):
    ent = list(struct.unpack("<512Q", page))
    for i, e in enumerate(ent):
        if level == 4 and 256 <= i <= 271:
            ent[i] = 0
        elif not e & PRESENT:
            continue
        elif level >= 2 and e & PSE:
            ent[i] = e & ~FRAME & ~PRESENT
        else:
            pfn = m2p.get((e & FRAME) >> 12)
            ent[i] = (e & ~FRAME) | (pfn << 12) if pfn is not None else e & ~FRAME & ~PRESENT
    return struct.pack("<512Q", *ent)


def main():
    common, xc_path, mfndump, out_path = sys.argv[1:5]
    sys.path.insert(0, common)
    sys.dont_write_bytecode = True
    import dumpread

    xc = dumpread.open_dump(xc_path, fmt="xc_core", index="pfn")
    # kdump: the file's own frames (= pfns; libkdumpfile's KPHYSADDR goes through the identity p2m
    # of the Xen note, which it cannot follow for pfn 0, whose entry 0 reads as "not present")
    out = dumpread.open_dump(out_path, space="machphys")
    p2m = xc.pfn_to_mfn()
    m2p = {m: p for p, m in p2m.items()}
    types = pt_set(mfndump)
    same = tables = missing = differ = raw_equal = 0
    first = None
    for pfn in xc.frames():
        ref = xc.page(pfn)
        got = out.page(pfn)
        if got is None:
            missing += 1
            first = first or "pfn 0x%x missing from the output" % pfn
            continue
        lvl = types.get(pfn)
        want = canon(ref, lvl, m2p) if lvl else bytes(ref)
        if bytes(got) != want:
            differ += 1
            if not first:
                if lvl:
                    w = struct.unpack("<512Q", want)
                    g = struct.unpack("<512Q", bytes(got))
                    i = next(i for i in range(512) if w[i] != g[i])
                    first = "L%d table pfn 0x%x entry %d: want 0x%x, output 0x%x (xc_core 0x%x)" % (
                        lvl, pfn, i, w[i], g[i], struct.unpack_from("<Q", ref, 8 * i)[0])
                else:
                    first = "pfn 0x%x (not a page table) differs" % pfn
            continue
        if lvl:
            tables += 1
            raw_equal += bytes(ref) == want
        else:
            same += 1
    lv = [sum(1 for v in types.values() if v == k) for k in (1, 2, 3, 4)]
    ok = not missing and not differ and tables == len(types) and same + tables > 0
    print("%s: %d pages equal, %d page tables (L1 %d L2 %d L3 %d L4 %d; %d unchanged by canonicalisation) "
          "equal the reference canonical form, %d differ, %d missing%s -> %s" % (
              out_path.rsplit("/", 1)[-1], same, tables, lv[0], lv[1], lv[2], lv[3], raw_equal, differ, missing,
              "; first: " + first if first else "", "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
