#!/usr/bin/python3
"""elfnotes.py - the ELF notes and PT_LOAD headers of core files, and their comparison.

usage: elfnotes.py FILE                 list the notes (from every PT_NOTE) and PT_LOADs
       elfnotes.py --cmp REF OUT        exit 1 unless OUT has exactly REF's notes
                                        (owner, type and descriptor bytes, in order);
                                        PT_LOAD differences are printed as INFO lines.

Reads the program headers itself (PN_XNUM aware); it does not use section headers, so it
also reads QEMU's ELF dumps (whose section table makes eu-readelf -n print nothing).
"""
import hashlib
import struct
import sys


def phdrs(f, path):
    """The program headers of the open ELF64 file f: (p_type, offset, paddr, vaddr, filesz, memsz)."""
    f.seek(0)
    eh = f.read(64)
    if len(eh) < 64 or eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
        raise ValueError("%s: not a little-endian ELF64 file" % path)
    phoff, shoff = struct.unpack_from("<QQ", eh, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", eh, 0x36)
    if phnum == 0xFFFF:
        f.seek(shoff + 0x2C)
        phnum, = struct.unpack("<I", f.read(4))
    out = []
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        p_type, _, off, va, pa, filesz, memsz, _ = struct.unpack("<IIQQQQQQ", f.read(56))
        out.append((p_type, off, pa, va, filesz, memsz))
    return out


def pt_loads(path):
    """The PT_LOADs of an ELF64 file: (paddr, offset, filesz, memsz)."""
    with open(path, "rb") as f:
        return [(pa, off, filesz, memsz) for p_type, off, pa, _, filesz, memsz in phdrs(f, path) if p_type == 1]


def read_elf(path):
    with open(path, "rb") as f:
        notes, loads = [], []
        for i, (p_type, off, pa, va, filesz, memsz) in enumerate(phdrs(f, path)):
            if p_type == 1:
                loads.append((pa, va, filesz, memsz))
            elif p_type == 4:
                f.seek(off)
                data = f.read(filesz)
                if len(data) != filesz:
                    raise ValueError("%s: PT_NOTE %d is cut off by the end of the file" % (path, i))
                pos = 0
                while pos + 12 <= len(data):
                    namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
                    pos += 12
                    name = data[pos:pos + namesz].rstrip(b"\0").decode(errors="replace")
                    pos += (namesz + 3) & ~3
                    desc = data[pos:pos + descsz]
                    if len(desc) != descsz:
                        raise ValueError("%s: note %s type %#x runs past its PT_NOTE" % (path, name, ntype))
                    pos += (descsz + 3) & ~3
                    notes.append((name, ntype, desc))
                if any(data[pos:]):
                    raise ValueError("%s: PT_NOTE %d has %d trailing non-zero bytes" % (path, i, len(data) - pos))
    return notes, loads


def describe(n):
    name, ntype, desc = n
    s = "%-11s type %#-5x %5d bytes sha256:%s" % (name, ntype, len(desc), hashlib.sha256(desc).hexdigest()[:16])
    if name == "VMCOREINFO":
        s += " (%s)" % desc.split(b"\n", 1)[0].decode(errors="replace")
    return s


def main():
    args = sys.argv[1:]
    try:
        if len(args) == 1:
            notes, loads = read_elf(args[0])
            for n in notes:
                print("note " + describe(n))
            for pa, va, fs, ms in loads:
                print("load paddr %#x vaddr %#x filesz %#x memsz %#x" % (pa, va, fs, ms))
            return 0
        if len(args) == 3 and args[0] == "--cmp":
            rn, rl = read_elf(args[1])
            on, ol = read_elf(args[2])
    except (OSError, ValueError, struct.error) as e:
        print("elfnotes: ERROR: %s" % e)
        return 2
    if len(args) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    rc = 0
    if rn == on:
        print("notes identical: %d notes (%s)" % (len(rn), ", ".join("%s/%#x" % (a, b) for a, b, _ in rn)))
    else:
        rc = 1
        print("notes DIFFER: ref has %d, output has %d" % (len(rn), len(on)))
        for i in range(max(len(rn), len(on))):
            a = describe(rn[i]) if i < len(rn) else "-"
            b = describe(on[i]) if i < len(on) else "-"
            print("  %s %2d ref: %s\n            out: %s" % ("  " if a == b else "!!", i, a, b))
    # PT_LOAD: physical ranges are checked page by page elsewhere; here only the headers
    rs, os_ = sorted(rl), sorted(ol)
    if rs == os_:
        print("INFO PT_LOAD headers identical (%d)" % len(rs))
    else:
        rva = {(pa, fs): va for pa, va, fs, ms in rl}
        changed = [(pa, rva[(pa, fs)], va) for pa, va, fs, ms in ol if (pa, fs) in rva and rva[(pa, fs)] != va]
        print("INFO PT_LOAD headers differ: ref %d, output %d; same (paddr, filesz) with another p_vaddr: %d%s"
              % (len(rl), len(ol), len(changed),
                 "".join("\nINFO   paddr %#x: p_vaddr %#x -> %#x" % c for c in changed[:6])))
    return rc


if __name__ == "__main__":
    sys.exit(main())
