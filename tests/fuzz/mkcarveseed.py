#!/usr/bin/python3
"""mkcarveseed.py ELF OUT [CARVER]: a fuzz_carve seed from a synthetic host ELF vmcore: its
notes and every non-zero page (the structures the carvers walk), less the guest data pages
testdata/gen/mkxenhost fills with its xorshift pattern (they only make the seed big).
CARVER: 0 probe, 1 xen, 2 kvm."""
import struct
import sys


M64 = (1 << 64) - 1


def mkxenhost_fill(pfn, page):
    """True when the page is mkxenhost's fill(mfn, domid) for some small domid."""
    first, = struct.unpack_from("<Q", page, 0)
    for domid in range(16):
        x = ((pfn * 0x9E3779B97F4A7C15) & M64) ^ domid
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        if x == first:
            return True
    return False


def main():
    path, out = sys.argv[1], sys.argv[2]
    carver = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    b = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", b, 32)
    phentsize, phnum = struct.unpack_from("<HH", b, 54)
    notes, pages = b"", []
    for i in range(phnum):
        typ, _fl, off, _va, pa, filesz, _memsz, _al = struct.unpack_from("<IIQQQQQQ", b, phoff + i * phentsize)
        if typ == 4:
            notes += b[off:off + filesz]
        elif typ == 1:
            for k in range(0, filesz, 4096):
                page = b[off + k:off + k + 4096]
                if len(page) == 4096 and any(page) and not mkxenhost_fill((pa + k) >> 12, page):
                    pages.append(((pa + k) >> 12, page))
    with open(out, "wb") as f:
        f.write(struct.pack("<III", 0x46434D56, len(pages) | (carver << 16), len(notes)))
        f.write(notes)
        for pfn, page in pages:
            f.write(struct.pack("<Q", pfn) + page)
    print("%s: %d pages, %d bytes of notes" % (out, len(pages), len(notes)))


if __name__ == "__main__":
    main()
