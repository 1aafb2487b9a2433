#!/usr/bin/python3
"""xen_hvm_drgn.py DUMP VMLINUX [NOTES-ELF] - drgn (0.0.22) on a carved HVM/PVH domain: a stack trace
unwound from the registers of every vCPU note the output carries (NT_PRSTATUS). drgn keys those
notes by pr_pid, which vmcarve sets to the vCPU number + 1 as QEMU's dump-guest-memory does, so
the trace is asked for that thread id: frame 0 must be at the note's rip and the unwind must go
on into the kernel's callers (at least 3 frames, each with a function name). Also every task's
stack, as for PV outputs.

NOTES-ELF: where the notes' pr_pid and rip are read (default DUMP; for a kdump output, the ELF
output of the same domain).

Prints one line; exit 0 when all of that holds, 1 otherwise, 2 when drgn is missing."""
import struct
import sys

try:
    import drgn
    from drgn.helpers.linux.pid import for_each_task
except ImportError:
    print("drgn is not importable (apt-get install python3-drgn; use /usr/bin/python3)")
    sys.exit(2)


def prstatus(path):
    """(pr_pid, rip) of each NT_PRSTATUS note of an ELF core, in order."""
    out = []
    with open(path, "rb") as f:
        h = f.read(64)
        phoff, = struct.unpack_from("<Q", h, 32)
        phnum, = struct.unpack_from("<H", h, 56)
        f.seek(phoff)
        phs = f.read(56 * phnum)
        for i in range(phnum):
            ptype, = struct.unpack_from("<I", phs, 56 * i)
            off, = struct.unpack_from("<Q", phs, 56 * i + 8)
            size, = struct.unpack_from("<Q", phs, 56 * i + 32)
            if ptype != 4:
                continue
            f.seek(off)
            b = f.read(size)
            p = 0
            while p + 12 <= len(b):
                nsz, dsz, typ = struct.unpack_from("<III", b, p)
                d = p + 12 + ((nsz + 3) & ~3)
                if b[p + 12:p + 12 + nsz].rstrip(b"\0") == b"CORE" and typ == 1:
                    pid, = struct.unpack_from("<I", b, d + 32)
                    rip, = struct.unpack_from("<Q", b, d + 112 + 16 * 8)
                    out.append((pid, rip))
                p = d + ((dsz + 3) & ~3)
    return out


def main():
    dump, vmlinux = sys.argv[1:3]
    notes_elf = sys.argv[3] if len(sys.argv) > 3 else dump
    prog = drgn.Program()
    prog.set_core_dump(dump)
    prog.load_debug_info([vmlinux])
    cpus, bad = [], []
    notes = prstatus(notes_elf)
    for i, (tid, rip) in enumerate(notes):
        trace = prog.thread(tid).stack_trace()
        names = [f.name for f in trace]
        cpus.append("vcpu%d (pr_pid %d): %s" % (i, tid, " < ".join(str(n) for n in names[:4])))
        if trace[0].pc != rip or len(trace) < 3 or None in names[:3]:
            bad.append("vcpu%d: frame 0 at 0x%x (note rip 0x%x), %d frames" % (i, trace[0].pc, rip, len(trace)))
    if not notes:
        bad.append("no NT_PRSTATUS note")
    tasks = stacks = 0
    for t in for_each_task(prog):
        tasks += 1
        try:
            stacks += len(prog.stack_trace(t)) > 0
        except Exception as e:  # noqa: BLE001 - reported
            bad.append("pid %d: %s" % (t.pid.value_(), e))
    ok = cpus and not bad and stacks == tasks
    print("%s; tasks=%d stack_traces=%d%s -> %s" % ("; ".join(cpus), tasks, stacks,
                                                   "; " + bad[0] if bad else "", "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - one line for the test log
        print("drgn failed: %s -> FAIL" % e)
        sys.exit(1)
