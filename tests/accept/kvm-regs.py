#!/usr/bin/python3
"""kvm-regs.py CARVED REF - compare the first NT_PRSTATUS of a carved guest with the VMM's own
dump of it (QEMU's dump-guest-memory, taken with the guest paused).

Every general register, rsp, rflags, cs and ss must be equal. rip may be one byte short of
QEMU's: a vCPU halted in HLT has the VMCB's rip at the HLT (KVM advances it on the next run),
QEMU reports it after. Prints one line per register that differs and a summary; exit 1 on a
difference, 2 when a file has no NT_PRSTATUS."""
import struct
import sys

from elfnotes import read_elf

NAMES = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss "
         "fs_base gs_base ds es fs gs").split()


def prstatus(path):
    for name, typ, desc in read_elf(path)[0]:
        if name == "CORE" and typ == 1:
            return dict(zip(NAMES, struct.unpack_from("<27Q", desc, 112)))
    return None


def main():
    got, want = prstatus(sys.argv[1]), prstatus(sys.argv[2])
    if got is None or want is None:
        print("no NT_PRSTATUS in %s" % (sys.argv[1] if got is None else sys.argv[2]))
        return 2
    bad = []
    for n in NAMES:
        if n in ("orig_rax", "fs_base", "gs_base", "ds", "es", "fs", "gs", "rax"):
            continue  # not compared: rax is the VMCB's (KVM's exit handler may have used it)
        ok = got[n] == want[n] or (n == "rip" and got[n] + 1 == want[n])
        if not ok:
            bad.append("%s=%#x (VMM's dump: %#x)" % (n, got[n], want[n]))
    if bad:
        print("registers differ: " + " ".join(bad))
        return 1
    print("registers equal the VMM's dump: rip=%#x rsp=%#x rbp=%#x r14=%#x eflags=%#x cs=%#x" %
          (got["rip"], got["rsp"], got["rbp"], got["r14"], got["eflags"], got["cs"]))
    return 0


sys.exit(main())
