#!/usr/bin/python3
"""mkxsseed.py OUTDIR: fuzz_xenstore seeds. Byte 0: how many domain ids Xen has; then memory
holding xenstored 4.17 TDB records (struct list_struct, the key, the node: generation,
num_perms, datalen, childlen, perms at +20, the value) as tools/xenstore lays them out."""
import os
import struct
import sys


def tdb_hash(key):
    v = (0x238F13AF * len(key)) & 0xffffffff
    for i, c in enumerate(key):
        c = c - 256 if c >= 128 else c  # tdb hashes signed chars
        v = (v + ((c << (i * 5 % 24)) & 0xffffffff)) & 0xffffffff
    return (1103515243 * v + 12345) & 0xffffffff


def rec(key, val, domid, bad_hash=False):
    key, val = key.encode(), val if isinstance(val, bytes) else val.encode()
    node = struct.pack("<QIII", 0x40 + domid, 2, len(val), 0) + struct.pack("<IIII", 0, 0, 1, domid) + val
    data_len = 24 + 16 + len(val)
    rl = (len(key) + data_len + 3) & ~3
    h = tdb_hash(key) ^ (1 if bad_hash else 0)
    body = key + node
    return struct.pack("<IIIIII", 0, rl, len(key), data_len, h, 0x26011999) + body + b"\0" * (rl - len(body))


def name(i, v, **k):
    return rec("/local/domain/%d/name" % i, v, i, **k)


def vm(i, u):
    return rec("/local/domain/%d/vm" % i, "/vm/" + u, i)


def main():
    out = sys.argv[1]
    seeds = {
        "seed-names": bytes([4]) + b"\0" * 16 + name(0, "Domain-0") + name(1, "web-01") +
        vm(1, "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5") + name(2, "db/../x") + name(1, "web-01"),
        "seed-hostile": bytes([6]) + name(9, "ghost") + name(2, "n" * 80) + name(3, b"evil\x1b[2J") +
        name(5, "five", bad_hash=True) + name(1, "a") + name(1, "b") + vm(4, "not-a-uuid") +
        rec("/local/domain/01/name", "lead0", 1) + rec("/local/domain/99999999/name", "big", 1),
        "seed-cut": bytes([2]) + name(0, "Domain-0") + name(1, "cut-short")[:-12],
    }
    for k, v in seeds.items():
        with open(os.path.join(out, k), "wb") as f:
            f.write(v)


if __name__ == "__main__":
    main()
