#!/usr/bin/python3
"""mkcorrupt.py: derive corrupt dumps from the fixtures of testdata/gen/mkfixture.

For each fixture (its OUTPREFIX.inputs file lists the dump files) this parses the structure
itself (ELF ehdr, phdrs, PN_XNUM section 0, notes; kdump disk_dump_header, sub-header, notes,
both bitmaps, page descriptors, page data; flattened header and records, with the inner
ELF/kdump reached through the records; split-set part headers) and yields cases:

  trunc@N          the file cut to N bytes, at every structure boundary and at seeded points
  FIELD.flip       one seeded bit of the field flipped (every field)
  FIELD.zero/.max  lengths, counts and offsets set to 0 / all ones
  FIELD.eof        lengths, counts and offsets set to the file size (past the end)
  vmci.pagesize.*  VMCOREINFO's PAGESIZE not a power of two, huge (1 MiB), or another power of
                   two (a kdump's block_size then contradicts it)

Deterministic: a pure function of the fixture bytes and --seed (stdlib only).

  mkcorrupt.py [--seed N] --out DIR PREFIX...   write DIR/<case>[.K] and DIR/cases.list
  (tests/corrupt/run-corrupt.py imports cases() and writes each case only while it runs it)
"""
import argparse
import os
import random
import struct
import sys

PN_XNUM = 0xFFFF


class Case:
    """One corrupt input: the name, the bytes of every file (a split set has several)."""

    def __init__(self, name, files):
        self.name = name
        self.files = files


def le(buf, off, width):
    return int.from_bytes(buf[off:off + width], "little")


# ---------------------------------------------------------------------------------------
# views: the logical dump image, and how a patch of it lands in the file(s)

class PlainView:
    """A dump file as is."""

    def __init__(self, data):
        self.image = data

    def patched(self, off, raw):
        b = bytearray(self.image)
        b[off:off + len(raw)] = raw
        return bytes(b)


class FlatView:
    """The file a flattened stream describes; a patch rewrites every record holding the bytes
    (records may overlap: patching all of them changes the value whichever wins)."""

    def __init__(self, data):
        self.data = data
        self.records = []  # (position of the record header, inner offset, size)
        pos = 4096
        end = 0
        while pos + 16 <= len(data):
            off, size = struct.unpack_from(">QQ", data, pos)
            if off == 2**64 - 1 and size == 2**64 - 1:
                self.records.append((pos, off, size))
                break
            if pos + 16 + size > len(data):
                break
            self.records.append((pos, off, size))
            end = max(end, off + size)
            pos += 16 + size
        img = bytearray(end)
        for p, off, size in self.records:
            if size != 2**64 - 1:
                img[off:off + size] = data[p + 16:p + 16 + size]
        self.image = bytes(img)

    def patched(self, off, raw):
        b = bytearray(self.data)
        for p, roff, size in self.records:
            if size == 2**64 - 1:
                continue
            lo, hi = max(off, roff), min(off + len(raw), roff + size)
            if lo < hi:
                b[p + 16 + lo - roff:p + 16 + hi - roff] = raw[lo - off:hi - off]
        return bytes(b)


# ---------------------------------------------------------------------------------------
# fields: (name, offset in the image, width, kind, byte order)
#   kind 'flip' only a bit flip; 'num' (length, count, offset) also zero, max, eof

def variants(name, old, width, kind, fsize, rng):
    mask = (1 << (8 * width)) - 1
    out = [(name + ".flip", old ^ (1 << rng.randrange(8 * width)))]
    if kind == "num":
        out += [(name + ".zero", 0), (name + ".max", mask), (name + ".eof", fsize & mask)]
    seen, res = set(), []
    for label, v in out:
        if v != old and v not in seen:
            seen.add(v)
            res.append((label, v))
    return res


def field_cases(prefix, view, fields, fsize, rng, wrap):
    """wrap(bytes of the mutated file) -> list of file contents of the case."""
    img = view.image
    for name, off, width, kind, order in fields:
        if off < 0 or off + width > len(img):
            continue
        old = int.from_bytes(img[off:off + width], order)
        for label, v in variants(name, old, width, kind, fsize, rng):
            yield Case(prefix + "." + label, wrap(view.patched(off, v.to_bytes(width, order))))


def note_fields(img, start, size, prefix, maxnotes=2):
    """n_namesz, n_descsz, n_type of the first notes in [start, start+size)."""
    res, pos, end = [], start, min(start + size, len(img))
    for i in range(maxnotes):
        if pos + 12 > end:
            break
        namesz, descsz = le(img, pos, 4), le(img, pos + 4, 4)
        res += [("%s%d.namesz" % (prefix, i), pos, 4, "num", "little"),
                ("%s%d.descsz" % (prefix, i), pos + 4, 4, "num", "little"),
                ("%s%d.type" % (prefix, i), pos + 8, 4, "flip", "little")]
        pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return res


# ---------------------------------------------------------------------------------------
# ELF

def elf_layout(img):
    """fields and structure boundaries of an ELF32/ELF64 vmcore image"""
    c64 = img[4] == 2
    F, cuts = [], [4, 16, 52 if not c64 else 64]
    F += [("ehdr.ident.class", 4, 1, "flip", "little"), ("ehdr.ident.data", 5, 1, "flip", "little"),
          ("ehdr.ident.version", 6, 1, "flip", "little")]
    if c64:
        eh = [("e_type", 16, 2, "flip"), ("e_machine", 18, 2, "flip"), ("e_version", 20, 4, "flip"),
              ("e_entry", 24, 8, "flip"), ("e_phoff", 32, 8, "num"), ("e_shoff", 40, 8, "num"),
              ("e_flags", 48, 4, "flip"), ("e_ehsize", 52, 2, "num"), ("e_phentsize", 54, 2, "num"),
              ("e_phnum", 56, 2, "num"), ("e_shentsize", 58, 2, "num"), ("e_shnum", 60, 2, "num"),
              ("e_shstrndx", 62, 2, "flip")]
        phoff, shoff, phnum = le(img, 32, 8), le(img, 40, 8), le(img, 56, 2)
        phsz, ph = 56, [("p_type", 0, 4, "flip"), ("p_flags", 4, 4, "flip"), ("p_offset", 8, 8, "num"),
                        ("p_vaddr", 16, 8, "flip"), ("p_paddr", 24, 8, "num"), ("p_filesz", 32, 8, "num"),
                        ("p_memsz", 40, 8, "num"), ("p_align", 48, 8, "flip")]
        sh_info = 44
    else:
        eh = [("e_type", 16, 2, "flip"), ("e_machine", 18, 2, "flip"), ("e_version", 20, 4, "flip"),
              ("e_entry", 24, 4, "flip"), ("e_phoff", 28, 4, "num"), ("e_shoff", 32, 4, "num"),
              ("e_flags", 36, 4, "flip"), ("e_ehsize", 40, 2, "num"), ("e_phentsize", 42, 2, "num"),
              ("e_phnum", 44, 2, "num"), ("e_shentsize", 46, 2, "num"), ("e_shnum", 48, 2, "num"),
              ("e_shstrndx", 50, 2, "flip")]
        phoff, shoff, phnum = le(img, 28, 4), le(img, 32, 4), le(img, 44, 2)
        phsz, ph = 32, [("p_type", 0, 4, "flip"), ("p_offset", 4, 4, "num"), ("p_vaddr", 8, 4, "flip"),
                        ("p_paddr", 12, 4, "num"), ("p_filesz", 16, 4, "num"), ("p_memsz", 20, 4, "num"),
                        ("p_flags", 24, 4, "flip"), ("p_align", 28, 4, "flip")]
        sh_info = 28
    F += [("ehdr." + n, o, w, k, "little") for n, o, w, k in eh]
    if phnum == PN_XNUM and shoff:
        F.append(("shdr0.sh_info", shoff + sh_info, 4, "num", "little"))
        phnum = le(img, shoff + sh_info, 4)
    picks = sorted({0, 1, phnum - 1} & set(range(phnum)))
    note = None
    loads = []
    for i in range(phnum):
        base = phoff + i * phsz
        if base + phsz > len(img):
            break
        ptype = le(img, base, 4)
        o = le(img, base + (8 if c64 else 4), 8 if c64 else 4)
        fs = le(img, base + (32 if c64 else 16), 8 if c64 else 4)
        if ptype == 4 and note is None:
            note = (o, fs)
        elif ptype == 1 and fs:
            loads.append((o, fs))
        if i in picks:
            F += [("phdr%d.%s" % (i, n), base + po, w, k, "little") for n, po, w, k in ph]
    cuts += [phoff + phsz // 2, phoff + phsz, phoff + phnum * phsz]
    if note:
        F += note_fields(img, note[0], note[1], "note")
        cuts += [note[0] + 6, note[0] + note[1] // 2, note[0] + note[1]]
    for o, fs in loads[:3] + loads[-1:]:
        cuts += [o, o + 1, o + fs // 2]
    data = [("data.load0", loads[0][0] + 100, 1, "flip", "little")] if loads else []
    return F + data, cuts


# ---------------------------------------------------------------------------------------
# kdump-compressed

def kdump_layout(img):
    bs = le(img, 428, 4) or 4096
    sub_blocks, bm_blocks = le(img, 432, 4), le(img, 436, 4)
    sh = bs
    F = [("hdr.signature", 0, 8, "flip", "little"), ("hdr.version", 8, 4, "num", "little"),
         ("hdr.utsname", 12 + 4 * 65, 8, "flip", "little"), ("hdr.timestamp", 408, 8, "flip", "little"),
         ("hdr.status", 424, 4, "flip", "little"), ("hdr.block_size", 428, 4, "num", "little"),
         ("hdr.sub_hdr_size", 432, 4, "num", "little"), ("hdr.bitmap_blocks", 436, 4, "num", "little"),
         ("hdr.max_mapnr", 440, 4, "num", "little"), ("hdr.total_ram_blocks", 444, 4, "flip", "little"),
         ("hdr.device_blocks", 448, 4, "flip", "little"), ("hdr.written_blocks", 452, 4, "flip", "little"),
         ("hdr.current_cpu", 456, 4, "flip", "little"), ("hdr.nr_cpus", 460, 4, "num", "little")]
    F += [("sub." + n, sh + o, w, k, "little") for n, o, w, k in [
        ("phys_base", 0, 8, "flip"), ("dump_level", 8, 4, "flip"), ("split", 12, 4, "num"),
        ("start_pfn", 16, 8, "num"), ("end_pfn", 24, 8, "num"), ("offset_vmcoreinfo", 32, 8, "num"),
        ("size_vmcoreinfo", 40, 8, "num"), ("offset_note", 48, 8, "num"), ("size_note", 56, 8, "num"),
        ("offset_eraseinfo", 64, 8, "num"), ("size_eraseinfo", 72, 8, "num"),
        ("start_pfn_64", 80, 8, "num"), ("end_pfn_64", 88, 8, "num"), ("max_mapnr_64", 96, 8, "num")]]
    cuts = [8, 463, 464, bs, bs + 60, bs + 104]
    note_off, note_size = le(img, sh + 48, 8), le(img, sh + 56, 8)
    if 0 < note_off < len(img) and note_size:
        F += note_fields(img, note_off, note_size, "note")
        cuts += [note_off + note_size // 2, note_off + note_size]
    bm1 = (1 + sub_blocks) * bs
    half = bm_blocks * bs // 2
    bm2, desc = bm1 + half, bm1 + bm_blocks * bs
    cuts += [bm1, bm1 + half // 2, bm2, bm2 + half // 2, desc]
    max_mapnr = le(img, sh + 96, 8) if le(img, 8, 4) >= 6 else le(img, 440, 4)
    # bitmap bits: one flip in each bitmap, and the bit just past max_mapnr
    F += [("bitmap1.bit", bm1 + max(0, min(half, max_mapnr // 8) // 3), 1, "flip", "little"),
          ("bitmap2.bit", bm2 + max(0, min(half, max_mapnr // 8) // 2), 1, "flip", "little")]
    if max_mapnr // 8 < half:
        F.append(("bitmap2.past_max_mapnr", bm2 + max_mapnr // 8, 1, "flip", "little"))
    # descriptors: one per 2nd-bitmap bit (in a split part, within its pfn range)
    split = le(img, sh + 12, 4)
    lo, hi = 0, max_mapnr
    if split:
        lo, hi = le(img, sh + 80, 8), le(img, sh + 88, 8)
    bits = img[bm2:bm2 + half]
    ndesc = sum(1 for p in range(lo, min(hi, len(bits) * 8)) if bits[p >> 3] >> (p & 7) & 1)
    picks = sorted({0, 1, ndesc // 2, ndesc - 1} & set(range(ndesc)))
    for i in picks:
        base = desc + 24 * i
        F += [("desc%d.offset" % i, base, 8, "num", "little"), ("desc%d.size" % i, base + 8, 4, "num", "little"),
              ("desc%d.flags" % i, base + 12, 4, "num", "little"), ("desc%d.page_flags" % i, base + 16, 8, "flip", "little")]
    if ndesc:
        first = le(img, desc, 8)
        size = le(img, desc + 8, 4)
        if first and size > 8 and first + size <= len(img):
            F.append(("data.page0", first + size // 2, 1, "flip", "little"))
        cuts += [desc + 12, desc + 24 * (ndesc // 2), desc + 24 * ndesc, desc + 24 * ndesc + 1]
    return F, cuts


# ---------------------------------------------------------------------------------------

def kind_of(data):
    if data[:12] == b"makedumpfile":
        return "flat"
    if data[:4] == b"\x7fELF":
        return "elf"
    if data[:8] in (b"KDUMP   ", b"DISKDUMP"):
        return "kdump"
    return "unknown"


def pagesize_cases(name, view, wrap):
    """VMCOREINFO PAGESIZE rewritten in place (the note keeps its size: a longer value runs over
    the start of the next line)"""
    img = view.image
    at = img.find(b"\nPAGESIZE=")
    at = at + 1 if at >= 0 else (0 if img.startswith(b"PAGESIZE=") else -1)
    if at < 0:
        return
    val = at + len(b"PAGESIZE=")
    end = val
    while end < len(img) and img[end:end + 1].isdigit():
        end += 1
    if end == val or end + 2 > len(img):
        return
    v = int(img[val:end])
    width = end - val
    other = v * 2 if len(str(v * 2)) == width else v // 2
    for label, raw in (("nonpow2", str(v + 1).encode()), ("huge", b"1048576\n"),
                       ("other", str(other).encode())):
        if label != "huge" and len(raw) != width:
            continue
        yield Case("%s.vmci.pagesize.%s" % (name, label), wrap(view.patched(val, raw)))


def truncations(name, data, cuts, rng, wrap, nrandom):
    size = len(data)
    points = set(c for c in cuts if 0 < c < size)
    points |= {0, 1, size - 1, size // 2}
    for _ in range(nrandom):
        points.add(rng.randrange(1, size))
    for p in sorted(points):
        yield Case("%s.trunc@0x%x" % (name, p), wrap(data[:p]))


def cases(prefix, seed=1, nrandom=4):
    """All cases derived from the fixture OUTPREFIX (reads OUTPREFIX.inputs)."""
    base = os.path.basename(prefix)
    with open(prefix + ".inputs") as f:
        paths = [l.strip() for l in f if l.strip()]
    files = []
    for p in paths:
        with open(p, "rb") as f:
            files.append(f.read())
    rng = random.Random("%s:%d" % (base, seed))
    # split sets: the first two parts are mutated, the others go along unchanged
    for k, data in enumerate(files[:2]):
        def wrap(b, k=k):
            return files[:k] + [b] + files[k + 1:]
        name = base if len(files) == 1 else "%s.part%d" % (base, k + 1)
        kind = kind_of(data)
        view = FlatView(data) if kind == "flat" else PlainView(data)
        inner = kind_of(view.image) if kind == "flat" else kind
        fields, cuts = (elf_layout if inner == "elf" else kdump_layout)(view.image)
        if kind == "flat":
            # inner structure through the records: headers only (the rest is the same code)
            fields = [f for f in fields if f[0].split(".")[0] in ("ehdr", "phdr0", "phdr1", "hdr", "sub")]
            cuts = [4095, 4096]
            recs = view.records
            for i in sorted({0, 1, len(recs) // 2, len(recs) - 1} & set(range(len(recs)))):
                p = recs[i][0]
                fields += [("rec%d.offset" % i, p, 8, "num", "big"), ("rec%d.size" % i, p + 8, 8, "num", "big")]
                cuts += [p + 8, p + 16, p + 16 + max(0, min(recs[i][2], len(data)) // 2)]
            hdr = [("flat.signature", 0, 12, "flip", "big"), ("flat.type", 16, 8, "num", "big"),
                   ("flat.version", 24, 8, "num", "big")]
            yield from field_cases(name, PlainView(data), hdr + [f for f in fields if f[0].startswith("rec")],
                                   len(data), rng, wrap)
            fields = [f for f in fields if not f[0].startswith("rec")]
        elif len(files) > 1:
            # split parts: the headers and the first descriptor (the rest is the plain kdump
            # code); later parts their own range and descriptor, and what is compared with the
            # first part (main header, phys_base, the bitmaps over their own frames)
            keep = ("hdr.", "sub.", "desc0.") if k == 0 else (
                "hdr.", "sub.split", "sub.start_pfn", "sub.end_pfn", "sub.phys_base", "bitmap", "desc0.")
            fields = [f for f in fields if f[0].startswith(keep)]
        yield from field_cases(name, view, fields, len(data), rng, wrap)
        if k == 0:
            yield from pagesize_cases(name, view, wrap)
        yield from truncations(name, data, cuts, rng, wrap, nrandom)


def main():
    ap = argparse.ArgumentParser(description="derive corrupt dumps from mkfixture outputs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("prefixes", nargs="+", help="mkfixture OUTPREFIX (with OUTPREFIX.inputs)")
    o = ap.parse_args()
    os.makedirs(o.out, exist_ok=True)
    n = total = 0
    with open(os.path.join(o.out, "cases.list"), "w") as lst:
        for prefix in o.prefixes:
            for c in cases(prefix, o.seed):
                names = []
                for k, b in enumerate(c.files):
                    fn = os.path.join(o.out, c.name + ("" if len(c.files) == 1 else ".%d" % (k + 1)))
                    with open(fn, "wb") as f:
                        f.write(b)
                    names.append(fn)
                    total += len(b)
                lst.write(" ".join(names) + "\n")
                n += 1
    print("mkcorrupt: %d cases, %d bytes in %s" % (n, total, o.out))


if __name__ == "__main__":
    sys.exit(main())
