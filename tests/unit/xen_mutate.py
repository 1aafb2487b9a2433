#!/usr/bin/python3
"""xen_mutate.py VMCARVE MKXENHOST WORKDIR [N|FIRST-LAST [SCENARIO]]

Robustness on hostile Xen host dumps: generates the synthetic hostile host dump, then N times
(default 60, seeds 0..N-1; FIRST-LAST: those seeds only, so that ctest can run a long list as
shards side by side) overwrites a few random 8-byte words in the structures a carver
follows (Xen's page tables, frame table, struct domain / vcpu / shared_info pages, the PV
p2m trees and page tables, the EPT, the domain frames) and runs `vmcarve list --json`
(checked like every run; its domain list drives the rest), on every fourth seed the plain
`vmcarve list`, and `vmcarve extract` of every listed domain. Every run must end within its time limit, with
exit code 0, 1 or 4 (never a signal), print no sanitizer report, and a failing run must say
why on stderr in one line per problem. Exit 0 = all runs behaved. SCENARIO: mkxenhost's
(default hostile; pvpt: PV page tables typed in the frame table, canonicalised in the output).
"""
import json
import os
import random
import struct
import subprocess
import sys

vmcarve, mk, work = sys.argv[1:4]
seeds = sys.argv[4] if len(sys.argv) > 4 else "60"
if "-" in seeds:
    first, last = (int(x) for x in seeds.split("-"))
    seeds = range(first, last + 1)
else:
    seeds = range(int(seeds))
scen = sys.argv[5] if len(sys.argv) > 5 else "hostile"
# one prefix per seed range: shards of one scenario run side by side
prefix = os.path.join(work, "xen-mutate-%s-%d-%d" % (scen, seeds[0], seeds[-1]))
subprocess.run([mk, scen, prefix], check=True)
orig = open(prefix + ".elf", "rb").read()
phoff, = struct.unpack_from("<Q", orig, 32)
# the PT_LOAD (second program header) starts at this file offset; machine address 0 there
data_off, = struct.unpack_from("<Q", orig, phoff + 56 + 8)
# frames worth hitting: Xen heap (0x100-0x16f: domain 6 has its VMCB there), domain p2m/page-table pages, Xen's tables
# and frame table (image +0x1000..+0x30000), some domain data, the EPT
targets = list(range(0x100, 0x170)) + [0x3fd, 0x3fe, 0x3ff, 0x4f0, 0x4f1, 0x4f2, 0x4f3, 0x4f4, 0xf0, 0xf1]
targets += [0x3f4, 0x3f5, 0x3f6, 0x3f7, 0x4e0]  # pvpt's page tables
targets += [0x801, 0x802, 0x803, 0x804, 0x805, 0x806] + list(range(0x810, 0x830)) + [0x900]
bad = 0
path = prefix + "-m.elf"


def check(seed, args, r):
    """One run's contract; returns 1 when it broke it."""
    what = " ".join(args[:1] + args[3:5])
    err = r.stderr
    if r.returncode not in (0, 1, 3, 4) or "Sanitizer" in err or "runtime error" in err:
        print("FAIL  seed %d: vmcarve %s: exit %d: %s" % (seed, what, r.returncode, err.strip()[-600:]))
        return 1
    if r.returncode == 1 and not err.strip():
        print("FAIL  seed %d: vmcarve %s failed without a message" % (seed, what))
        return 1
    return 0


for seed in seeds:
    rnd = random.Random(seed)
    buf = bytearray(orig)
    for _ in range(rnd.randint(1, 6)):
        frame = rnd.choice(targets)
        word = rnd.randrange(512)
        val = rnd.choice([0, ~0 & (2**64 - 1), rnd.getrandbits(64), rnd.getrandbits(20) << 12 | 0x67,
                          0xffff830000000000 + (rnd.getrandbits(12) << 12), rnd.getrandbits(32)])
        struct.pack_into("<Q", buf, data_off + frame * 4096 + word * 8, val)
    open(path, "wb").write(buf)
    # `list --json` is checked like the extracts (a plain `list` used to run as well for that:
    # the same carving twice per seed)
    runs = []
    ids = []
    try:
        r = subprocess.run([vmcarve, "list", path, "--json"], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print("FAIL  seed %d: vmcarve list timed out" % seed)
        bad += 1
        r = None
    if r is not None:
        bad += check(seed, ["list", path, "--json"], r)
        if r.returncode in (0, 4):
            try:
                ids = [g["id"] for g in json.loads(r.stdout)["guests"]]
            except (ValueError, KeyError) as e:
                print("FAIL  seed %d: vmcarve list --json exit %d, unreadable JSON: %s" % (seed, r.returncode, e))
                bad += 1
    # the text form meets the mutated results on every fourth seed
    if seed % 4 == 0:
        runs.append(["list", path])
    for gid in ids:
        runs.append(["extract", "-q", path, "--domain", gid, "-o", prefix + "-m.out", "--format", "elf"])
    for args in runs:
        try:
            r = subprocess.run([vmcarve] + args, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            print("FAIL  seed %d: vmcarve %s timed out" % (seed, " ".join(args[:1] + args[3:5])))
            bad += 1
            continue
        bad += check(seed, args, r)
    if os.path.exists(prefix + "-m.out"):
        os.unlink(prefix + "-m.out")
os.unlink(path)
print("RESULT xen-mutate: %d mutated dumps (seeds %d-%d), %s" % (len(seeds), seeds[0], seeds[-1], "PASS" if not bad else "FAIL (%d bad runs)" % bad))
sys.exit(1 if bad else 0)
