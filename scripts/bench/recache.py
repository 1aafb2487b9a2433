#!/usr/bin/python3
"""scripts/bench/recache.py FILE...: put each benchmark input into one known page-cache state.

Each FILE's cached pages are dropped (posix_fadvise DONTNEED: no data is written, clean pages
are only forgotten) and the file is read once from start to end in 1 MiB reads. That is the
state a dump read from disk is in: the kernel's readahead caches it in large folios. A file
that was cached some other way (written in small pieces by QEMU, or faulted in through a
mapping) sits in 4 KiB folios, and copying it out of the cache costs up to 3 times more
(measured on the Xen bed's kdump: a whole read took 0.234 s before, 0.083 s after). Without
this step, inputs compared with each other (a host dump against a carved guest written a
moment ago) would not be cached alike. Prints one line per file: its size and the read time.
"""
import os
import sys
import time

CHUNK = 1 << 20


def recache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        t = time.monotonic()
        off = 0
        while True:
            n = len(os.pread(fd, CHUNK, off))
            if not n:
                break
            off += n
        return off, time.monotonic() - t
    finally:
        os.close(fd)


def main():
    if len(sys.argv) < 2:
        print("usage: recache.py FILE...", file=sys.stderr)
        return 2
    for path in sys.argv[1:]:
        try:
            size, secs = recache(path)
        except OSError as e:
            print(f"recache.py: {path}: {e.strerror}", file=sys.stderr)
            return 1
        print(f"recached {path}: {size / 1048576:.0f} MiB dropped and read again in {secs:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
