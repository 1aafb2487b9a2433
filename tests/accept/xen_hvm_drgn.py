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

from elfnotes import read_elf

try:
    import drgn
    from drgn.helpers.linux.pid import for_each_task
except ImportError:
    print("drgn is not importable (apt-get install python3-drgn; use /usr/bin/python3)")
    sys.exit(2)


def prstatus(path):
    """(pr_pid, rip) of each NT_PRSTATUS note of an ELF core, in order."""
    return [(struct.unpack_from("<I", desc, 32)[0], struct.unpack_from("<Q", desc, 112 + 16 * 8)[0])
            for name, typ, desc in read_elf(path)[0] if name == "CORE" and typ == 1]


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
