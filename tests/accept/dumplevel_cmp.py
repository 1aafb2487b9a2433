#!/usr/bin/python3
"""dumplevel_cmp.py - is a filtered dump's frame set makedumpfile's, frame for frame?

usage: dumplevel_cmp.py [--zero-out] [--partial-of ELF] REF OUT

REF: a kdump-compressed file written by makedumpfile (not flattened). OUT: a kdump-compressed
or ELF file. Both are read here, independently of vmcarve: the kdump header, bitmaps and page
descriptors, or the ELF program headers. Per frame the state is
  absent  not in the 2nd bitmap (or no PT_LOAD file data covers the whole frame)
  zero    stored, and its bytes (descriptor with flags 0 and size = block size) are all zero
  data    stored otherwise
Without bit 1 in REF's dump_level, "zero" and "data" are one state "stored".
--zero-out: OUT is meant to leave zero pages out (ELF output at -d 1): REF's "zero" frames
  must be absent in OUT, and OUT's stored frames are compared as one state "stored".
--partial-of ELF: frames that ELF's PT_LOADs cover only in part may be absent in REF and
  present in OUT (makedumpfile 1.7.2 rounds a segment's end down; vmcarve keeps the frame with
  the rest zero-filled). They are listed, and are no failure.
Every other difference is printed and fails (exit 1). Exit 0: equal; 2: usage or read error.
"""
import mmap
import struct
import sys

from elfnotes import pt_loads

ZERO_CHECK_MAX = 1 << 16  # distinct descriptors whose bytes are looked at


def kdump_states(path):
    """{pfn: 'zero'|'data'} of the stored frames, and max_pfn."""
    with open(path, 'rb') as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if m[:8] != b'KDUMP   ':
        raise SystemExit(f'{path}: not a kdump-compressed file (flattened? use makedumpfile -R)')
    version, = struct.unpack_from('<i', m, 8)
    block, sub_blocks, bitmap_blocks, max_mapnr = struct.unpack_from('<iiiI', m, 428)
    if version >= 6:
        max_mapnr, = struct.unpack_from('<Q', m, block + 96)
    bm_len = bitmap_blocks * block // 2
    bm2_off = (1 + sub_blocks) * block + bm_len
    bm2 = m[bm2_off:bm2_off + bm_len]
    desc = (1 + sub_blocks + bitmap_blocks) * block
    zero_page = bytes(block)
    zero_of = {}
    states = {}
    i = 0
    for byte_i, byte in enumerate(bm2):
        if not byte:
            continue
        for bit in range(8):
            if not byte >> bit & 1:
                continue
            pfn = byte_i * 8 + bit
            if pfn >= max_mapnr:
                break
            off, size, flags = struct.unpack_from('<qII', m, desc + 24 * i)
            i += 1
            key = (off, size, flags)
            z = zero_of.get(key)
            if z is None:
                z = size == block and flags == 0 and m[off:off + block] == zero_page
                if len(zero_of) < ZERO_CHECK_MAX or z:
                    zero_of[key] = z
            states[pfn] = 'zero' if z else 'data'
    dump_level, = struct.unpack_from('<I', m, block + 8)
    return states, dump_level


def elf_loads(path):
    return [(paddr, filesz, memsz) for paddr, _, filesz, memsz in pt_loads(path)]


def elf_states(path, page=4096):
    states = {}
    for paddr, filesz, _ in elf_loads(path):
        first = (paddr + page - 1) // page
        for pfn in range(first, (paddr + filesz) // page):
            states[pfn] = 'stored'
    return states


def partial_frames(path, page=4096):
    out = set()
    for paddr, _, memsz in elf_loads(path):
        for a in (paddr, paddr + memsz):
            if a % page:
                out.add(a // page)
    return out


def main(argv):
    zero_out = '--zero-out' in argv
    argv = [a for a in argv if a != '--zero-out']
    partial = set()
    if '--partial-of' in argv:
        k = argv.index('--partial-of')
        partial = partial_frames(argv[k + 1])
        del argv[k:k + 2]
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    ref, ref_level = kdump_states(argv[0])
    with open(argv[1], 'rb') as f:
        is_elf = f.read(4) == b'\x7fELF'
    out, out_level = (elf_states(argv[1]), None) if is_elf else kdump_states(argv[1])
    # without bit 1 a zero page is data like any other (a writer may still share it)
    if zero_out or is_elf or not ref_level & 1:
        ref = {p: 'stored' for p, s in ref.items() if not (zero_out and s == 'zero')}
        out = {p: 'stored' for p, s in out.items() if not (zero_out and s == 'zero')}
    bad, allowed = [], []
    for pfn in sorted(set(ref) | set(out)):
        a, b = ref.get(pfn, 'absent'), out.get(pfn, 'absent')
        if a == b:
            continue
        (allowed if a == 'absent' and pfn in partial else bad).append((pfn, a, b))
    kept = len(out)
    print(f'dumplevel_cmp: ref {len(ref)} frames kept (dump_level {ref_level}), out {kept} '
          f'(dump_level {out_level}), differences {len(bad)}, allowed {len(allowed)}')
    for pfn, a, b in allowed:
        print(f'  allowed 0x{pfn:x}: ref {a}, out {b} (frame only partly in an input segment)')
    for pfn, a, b in bad[:20]:
        print(f'  DIFF 0x{pfn:x}: ref {a}, out {b}')
    return 1 if bad or not ref else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
