#!/usr/bin/python3
"""xen_p2m_check.py CARVED.elf TRUTH.p2m.txt

Reads the p2m a carved Xen PV domain carries the way crash does: the "Xen" CRASH_INFO note's
last word is the frame_list_list MFN; it lists frame-list pages, which list the p2m leaf
pages, all of them frames of the carved ELF (p_paddr = machine address). Compares the
resulting pfn -> mfn table with the test bed's truth map ("R pfn mfn n" lines) and checks
that every mfn it gives is a frame of the carved file. Prints one RESULT line; exit 0 = PASS.
"""
import struct
import sys


def load_elf(path):
    f = open(path, "rb")
    eh = f.read(64)
    if eh[:4] != b"\x7fELF":
        sys.exit("not an ELF file: " + path)
    phoff, = struct.unpack_from("<Q", eh, 32)
    phnum, = struct.unpack_from("<H", eh, 56)
    segs, notes = [], b""
    f.seek(phoff)
    phs = [struct.unpack("<IIQQQQQQ", f.read(56)) for _ in range(phnum)]
    for p_type, _, off, _, paddr, filesz, _, _ in phs:
        if p_type == 4:
            f.seek(off)
            notes += f.read(filesz)
        elif p_type == 1 and filesz:
            segs.append((paddr, filesz, off))
    return f, sorted(segs), notes


def frame(f, segs, mfn):
    pa = mfn << 12
    for paddr, size, off in segs:
        if paddr <= pa < paddr + size:
            f.seek(off + pa - paddr)
            return f.read(4096)
    return None


def main():
    f, segs, notes = load_elf(sys.argv[1])
    pos, fll = 0, None
    while pos + 12 <= len(notes):
        nsz, dsz, typ = struct.unpack_from("<III", notes, pos)
        name = notes[pos + 12:pos + 12 + nsz].rstrip(b"\0")
        desc = notes[pos + 12 + ((nsz + 3) & ~3):][:dsz]
        if name == b"Xen" and typ == 0x1000001:
            fll = struct.unpack("<%dQ" % (dsz // 8), desc)[-1]
        pos += 12 + ((nsz + 3) & ~3) + ((dsz + 3) & ~3)
    if fll is None:
        print("RESULT no Xen CRASH_INFO note -> FAIL")
        return 1
    truth = {}
    for line in open(sys.argv[2]):
        if line.startswith("R "):
            _, pfn, mfn, n = line.split()
            pfn, mfn, n = int(pfn, 16), int(mfn, 16), int(n)
            for i in range(n):
                truth[pfn + i] = mfn + i
    fllp = frame(f, segs, fll)
    if fllp is None:
        print("RESULT frame_list_list 0x%x is not in the file -> FAIL" % fll)
        return 1
    p2m = {}
    leaves = 0
    last_leaf = max(truth) // 512 if truth else 0  # the tree covers far more (missing leaves)
    for i, flm in enumerate(struct.unpack("<512Q", fllp)):
        if not flm or i * 512 > last_leaf:
            break
        flp = frame(f, segs, flm)
        if flp is None:
            print("RESULT frame list 0x%x is not in the file -> FAIL" % flm)
            return 1
        for j, leaf in enumerate(struct.unpack("<512Q", flp)):
            if not leaf or i * 512 + j > last_leaf:
                break
            lp = frame(f, segs, leaf)
            if lp is None:
                print("RESULT p2m leaf 0x%x is not in the file -> FAIL" % leaf)
                return 1
            leaves += 1
            for k, m in enumerate(struct.unpack("<512Q", lp)):
                p2m[(i * 512 + j) * 512 + k] = m
    agree = sum(1 for pfn, mfn in truth.items() if p2m.get(pfn) == mfn)
    differ = len(truth) - agree
    absent = sum(1 for pfn, mfn in truth.items() if p2m.get(pfn) == mfn and frame(f, segs, mfn) is None)
    ok = differ == 0 and absent == 0 and len(truth) > 0
    print("RESULT fll=0x%x leaves=%d truth-entries=%d agree=%d differ=%d frame-not-in-file=%d -> %s"
          % (fll, leaves, len(truth), agree, differ, absent, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
