#!/usr/bin/python3
"""lkset_cmp.py - libkdumpfile reads a split set page for page like a single-file dump.

usage: lkset_cmp.py REF PART [PART...]

REF (a single kdump or ELF dump) and the split set PART... are both opened with libkdumpfile
(the set through the C library's kdump_open_fdset(): Debian's python3-libkdumpfile 0.5.1
aborts with "double free" when a set is built through its file.set attributes). Every frame
0 .. max_pfn of REF is read from both; the read status (read / excluded / error) and the
bytes must agree. Prints one summary line; exit 0 equal, 1 different, 2 usage or open error.
Run with Debian's /usr/bin/python3 (kdumpfile is not importable from other pythons).
"""
import ctypes
import os
import sys

import kdumpfile

PAGE = 4096


def open_set(lib, paths):
    ctx = lib.kdump_new()
    if not ctx:
        sys.exit("lkset_cmp: kdump_new failed")
    fds = (ctypes.c_int * len(paths))(*[os.open(p, os.O_RDONLY) for p in paths])
    rc = lib.kdump_open_fdset(ctx, len(paths), fds)
    if rc:
        print("lkset_cmp: libkdumpfile cannot open %s: %s" % (" ".join(paths), lib.kdump_get_err(ctx)))
        sys.exit(2)
    return ctx


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    ref_path, parts = sys.argv[1], sys.argv[2:]
    lib = ctypes.CDLL("libkdumpfile.so.10")
    lib.kdump_new.restype = ctypes.c_void_p
    lib.kdump_open_fdset.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_int)]
    lib.kdump_read.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p,
                               ctypes.POINTER(ctypes.c_size_t)]
    lib.kdump_get_err.restype = ctypes.c_char_p
    lib.kdump_get_err.argtypes = [ctypes.c_void_p]
    ref = open_set(lib, [ref_path])
    dump = open_set(lib, parts)
    max_pfn = kdumpfile.kdumpfile(ref_path).attr["max_pfn"]
    a, b = ctypes.create_string_buffer(PAGE), ctypes.create_string_buffer(PAGE)
    read = excluded = differ = 0
    first = None
    for pfn in range(max_pfn):
        na, nb = ctypes.c_size_t(PAGE), ctypes.c_size_t(PAGE)
        ra = lib.kdump_read(ref, kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, a, ctypes.byref(na))
        rb = lib.kdump_read(dump, kdumpfile.KDUMP_MACHPHYSADDR, pfn * PAGE, b, ctypes.byref(nb))
        if ra != rb or (ra == 0 and a.raw != b.raw):
            differ += 1
            first = first if first is not None else (pfn, ra, rb)
        elif ra == 0:
            read += 1
        else:
            excluded += 1
    print("lkset_cmp %s vs %d-part set: frames=%d read-equal=%d unreadable-in-both=%d different=%d%s -> %s" %
          (os.path.basename(ref_path), len(parts), max_pfn, read, excluded, differ,
           "" if first is None else " (first: frame 0x%x, status %d vs %d)" % first,
           "PASS" if differ == 0 and read > 0 else "FAIL"))
    return 0 if differ == 0 and read > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
