#!/usr/bin/python3
"""linuxkvm_hostile.py LKVM_PROBE HOST.elf

Corrupts the host kernel's KVM structures inside a writable ELF copy of a host dump, one at a
time (restoring each afterwards), and checks that vmc_linux_kvm_find (through lkvm_probe)
ends cleanly with a diagnostic naming what is wrong, and still lists the other VM intact:
  * a vm_list entry pointing at itself (a loop)          -> INCOMPLETE, no duplicate VMs
  * kvm->memslots[0] of one VM pointing at garbage        -> VMERROR on that VM only
  * kvm->mm of one VM zeroed                              -> VMERROR on that VM only
  * a memslot gfn-tree node whose rb_left is itself       -> VMERROR (depth bound) on that VM only
Prints PASS/FAIL lines; exit 0 when all passed."""
import re
import struct
import subprocess
import sys

probe, elf = sys.argv[1], sys.argv[2]
fails = 0


def check(ok, msg):
    global fails
    print(("PASS  " if ok else "FAIL  ") + msg)
    fails += 0 if ok else 1


def loads():
    with open(elf, "rb") as f:
        h = f.read(64)
        phoff, phentsize, phnum = struct.unpack_from("<Q", h, 32)[0], *struct.unpack_from("<HH", h, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    out = []
    for i in range(phnum):
        typ, _, off, _, paddr, filesz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
        if typ == 1:
            out.append((paddr, filesz, off))
    return out


LOADS = loads()


def off_of(pa):
    for paddr, filesz, off in LOADS:
        if paddr <= pa < paddr + filesz:
            return off + pa - paddr
    raise SystemExit(f"FAIL  physical 0x{pa:x} is not in {elf}")


def run(*args):
    return subprocess.run([probe, elf, *args], capture_output=True, text=True, timeout=120).stdout


def v2p(va):
    m = re.search(r"V2P 0x[0-9a-f]+ (0x[0-9a-f]+)", run("--v2p", hex(va)))
    if not m:
        raise SystemExit(f"FAIL  no physical address for 0x{va:x}")
    return int(m.group(1), 16)


def rd64(va):
    with open(elf, "rb") as f:
        f.seek(off_of(v2p(va)))
        return struct.unpack("<Q", f.read(8))[0]


def patched(va, value, label, judge):
    o = off_of(v2p(va))
    with open(elf, "r+b") as f:
        f.seek(o)
        old = f.read(8)
        f.seek(o)
        f.write(struct.pack("<Q", value))
    try:
        out = run("--report")
        judge(out, label)
    finally:
        with open(elf, "r+b") as f:
            f.seek(o)
            f.write(old)


def vms_of(out):
    return re.findall(r"^VM kvm=(0x[0-9a-f]+) .*slots=(\d+) vcpus=(\d+)", out, re.M)


base = run("--report")
offs = dict(re.findall(r"^([a-z_]+\.[a-z_.]+)=(0x[0-9a-f]+)$", base, re.M))
vms = vms_of(base)
if len(vms) != 2:
    raise SystemExit(f"FAIL  the unmodified dump should show 2 VMs, shows {len(vms)}")
A, B = int(vms[0][0], 16), int(vms[1][0], 16)
O = {k: int(v, 16) for k, v in offs.items()}


def other_intact(out, bad):
    good = [v for v in vms_of(out) if int(v[0], 16) != bad]
    ref = [v for v in vms if int(v[0], 16) != bad]
    return good == ref and f"VMERROR" not in out.split(f"VM kvm=0x{ref[0][0][2:]}")[1].split("\nVM ")[0]


def j_loop(out, label):
    check("INCOMPLETE" in out and "loops back" in out and len(vms_of(out)) == 1,
          f"{label}: {(re.search(r'^INCOMPLETE .*', out, re.M) or [''])[0][:120]}; VMs listed {len(vms_of(out))}")


def j_vmerror(pattern):
    def j(out, label):
        m = re.search(r"VM kvm=0x%x .*\n  VMERROR (.*)" % A_or_B[0], out)
        check(m is not None and re.search(pattern, m.group(1)) is not None and other_intact(out, A_or_B[0]),
              f"{label}: VMERROR {m.group(1)[:140] if m else '(none)'}; the other VM intact")
    return j


patched(A + O["kvm.vm_list"], A + O["kvm.vm_list"], "vm_list entry pointing at itself", j_loop)
A_or_B = [A]
patched(A + O["kvm.memslots"], 0xdead000000000000, "kvm->memslots[0] = 0xdead000000000000", j_vmerror("0xdead"))
A_or_B = [B]
patched(B + O["kvm.mm"], 0, "kvm->mm = NULL", j_vmerror("mm"))
ms = rd64(A + O["kvm.memslots"])
root = rd64(ms + O["kvm_memslots.gfn_tree"])
A_or_B = [A]
patched(root + O["rb_node.rb_left"], root, "gfn-tree node whose rb_left is itself", j_vmerror("deeper|loop"))
after = run("--report")
check(vms_of(after) == vms, "the restored dump shows the same VMs again")
print(f"RESULT {fails} failed check(s)")
sys.exit(1 if fails else 0)
