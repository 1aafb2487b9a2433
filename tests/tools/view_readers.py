#!/usr/bin/python3
"""view_readers.py: concurrent readers of a mounted ELF view against the written file.

usage: view_readers.py VIEW REFERENCE [--threads 32] [--reads 200] [--seed N]

Each thread opens VIEW itself and reads at random offsets and sizes, most of them chosen to
cross a boundary (the end of the headers, a PT_LOAD's start or end in the file, a page edge)
and some past the end of the file, half of them after dropping the view's cached pages; every read must return exactly the bytes (and the length)
that the same pread of REFERENCE returns. Prints one summary line; exit 1 on any difference.
"""
import argparse
import os
import random
import struct
import sys
import threading

PAGE = 4096


def boundaries(path):
    """file offsets where something changes: header end, each PT_LOAD's data start and end"""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phnum == 0xFFFF:  # PN_XNUM: the count is in section header 0's sh_info
            shoff, = struct.unpack_from("<Q", eh, 40)
            f.seek(shoff + 44)
            phnum, = struct.unpack("<I", f.read(4))
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    out = {phoff + phentsize * phnum}
    for i in range(phnum):
        _, _, off, _, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
        out.update((off, off + filesz))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("view")
    ap.add_argument("ref")
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    size = os.path.getsize(a.ref)
    if os.path.getsize(a.view) != size:
        print(f"view_readers: stat size {os.path.getsize(a.view)}, the written file has {size}")
        return 1
    edges = boundaries(a.ref)
    errors, stats = [], {"reads": 0, "bytes": 0, "past_end": 0}
    lock = threading.Lock()

    def reader(tid):
        rnd = random.Random(a.seed * 1000 + tid)
        vfd, rfd = os.open(a.view, os.O_RDONLY), os.open(a.ref, os.O_RDONLY)
        try:
            for _ in range(a.reads):
                kind = rnd.random()
                n = rnd.choice([1, 7, 100, 4095, 4096, 4097, 65536, 200000, 1 << 20, 3 << 20])
                if kind < 0.4:  # across a segment / header edge
                    off = max(0, rnd.choice(edges) - rnd.randrange(0, min(n, 8192) + 1))
                elif kind < 0.7:  # across a page edge
                    off = rnd.randrange(0, max(1, size // PAGE)) * PAGE - rnd.randrange(1, 64)
                elif kind < 0.85:  # anywhere
                    off = rnd.randrange(0, size)
                else:  # at or past the end
                    off = size - rnd.randrange(-4096, 4096)
                off = max(0, off)
                if rnd.random() < 0.5:  # out of the kernel's page cache: served by the file system again
                    os.posix_fadvise(vfd, 0, 0, os.POSIX_FADV_DONTNEED)
                want, got = os.pread(rfd, n, off), os.pread(vfd, n, off)
                with lock:
                    stats["reads"] += 1
                    stats["bytes"] += len(got)
                    stats["past_end"] += off + n > size
                    if got != want:
                        at = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
                        errors.append(f"thread {tid}: pread({n}, 0x{off:x}): {len(got)} bytes, want {len(want)}"
                                      f"{'' if at is None else f', first difference at +0x{at:x}'}")
        except OSError as e:
            with lock:
                errors.append(f"thread {tid}: {e}")
        finally:
            os.close(vfd)
            os.close(rfd)

    threads = [threading.Thread(target=reader, args=(t,)) for t in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors[:10]:
        print("view_readers: " + e)
    print(f"view_readers: {a.threads} threads, {stats['reads']} reads ({stats['past_end']} reaching past the end), "
          f"{stats['bytes']} bytes, {len(edges)} segment edges, {len(errors)} differences")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
