#!/usr/bin/python3
"""xen_hvm_regs.py CARVED-ELF HVMCTX - the registers a carved HVM/PVH domain's ELF output holds
(NT_PRSTATUS and QEMU CPU-state notes, in vCPU order) against Xen's own HVM save records of the
paused domain (`xen-hvmctx DOMID`, one CPU record per vCPU).

Every general register, rip, rsp, rflags, the cs/ss/ds/es/fs/gs selectors, the fs and gs bases
(NT_PRSTATUS), CR0, CR3, CR4, the GDT/IDT bases and the kernel GS base (QEMU note) must be equal.
Prints one line per difference and a result line; exit 1 on a difference, 2 when a file lacks
what is compared."""
import re
import struct
import sys

from elfnotes import read_elf

PRS = ("r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs rflags rsp ss "
       "fs_base gs_base ds es fs gs").split()


def notes(path):
    return read_elf(path)[0]


def carved(path):
    cpus, qemu = [], []
    for name, typ, desc in notes(path):
        if name == "CORE" and typ == 1:
            cpus.append(dict(zip(PRS, struct.unpack_from("<27Q", desc, 112))))
        elif name == "QEMU":
            q = {}
            q["cr0"], _, q["cr2"], q["cr3"], q["cr4"] = struct.unpack_from("<5Q", desc, 392)
            q["kernel_gs_base"], = struct.unpack_from("<Q", desc, 432)
            q["gdtr_base"], = struct.unpack_from("<Q", desc, 344 + 16)
            q["idtr_base"], = struct.unpack_from("<Q", desc, 368 + 16)
            qemu.append(q)
    return cpus, qemu


def hvmctx(path):
    """The CPU records of xen-hvmctx's output, by instance."""
    recs, cur = {}, None
    for line in open(path):
        m = re.match(r"Entry \d+: type (\d+) instance (\d+)", line)
        if m:
            cur = recs.setdefault(int(m.group(2)), {}) if m.group(1) == "2" else None
            continue
        if cur is None:
            continue
        for k, v in re.findall(r"\b(r\w+|cr\d|rflags)\s+(0x[0-9a-f]+)", line):
            cur.setdefault(k, int(v, 16))
        m = re.match(r"\s+(cs|ds|es|fs|gs|ss)\s+(0x[0-9a-f]+|0000)\s+\(\s*(0x[0-9a-f]+|0+)", line)
        if m:
            cur[m.group(1)] = int(m.group(2), 16)
            cur[m.group(1) + "_base"] = int(m.group(3), 16)
        m = re.match(r"\s+(idtr|gdtr)\s+\(\s*(0x[0-9a-f]+|0+)", line)
        if m:
            cur[m.group(1) + "_base"] = int(m.group(2), 16)
        m = re.search(r"shadow gs\s+([0-9a-fx]+)", line)
        if m:
            cur["kernel_gs_base"] = int(m.group(1), 16)
    return recs


def main():
    out, ctx = sys.argv[1:3]
    cpus, qemu = carved(out)
    ref = hvmctx(ctx)
    if not cpus or not ref:
        print("no NT_PRSTATUS in %s or no CPU record in %s -> FAIL" % (out, ctx))
        return 2
    bad = compared = 0
    if len(cpus) != len(ref):
        print("  %d NT_PRSTATUS notes, %d CPU records" % (len(cpus), len(ref)))
        bad += 1
    for i, c in enumerate(cpus):
        r = ref.get(i, {})
        q = qemu[i] if i < len(qemu) else {}
        keys = [k for k in PRS if k not in ("orig_rax",)] + ["cr0", "cr3", "cr4", "gdtr_base", "idtr_base", "kernel_gs_base"]
        for k in keys:
            got = c.get(k, q.get(k))
            want = r.get(k)
            if want is None or got is None:
                print("  vcpu%d %s: carved %s, xen-hvmctx %s" % (i, k, got, want))
                bad += 1
                continue
            compared += 1
            if got != want:
                print("  vcpu%d %s: carved 0x%x, xen-hvmctx 0x%x" % (i, k, got, want))
                bad += 1
    print("registers of %d vCPU(s): %d compared, %d differ (rip 0x%x) -> %s" % (
        len(cpus), compared, bad, cpus[0]["rip"], "FAIL" if bad else "PASS"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
