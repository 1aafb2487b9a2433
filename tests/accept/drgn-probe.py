#!/usr/bin/python3
"""drgn-probe.py DUMP VMLINUX - open a kernel dump with drgn and print what it reads.

Prints key=value lines: UTS_RELEASE (drgn's object from VMCOREINFO), init_uts_ns release,
version and machine, init_task.comm, jiffies_64, the crashed thread's pid and the first
frames of its stack trace, each CPU's current task with its pc (NT_PRSTATUS notes), and a physical-memory read.
Exit 0 when the dump opened and every line could be read, 1 otherwise (the failing
lines say `key=ERROR: ...`), 2 when drgn is missing.
"""
import hashlib
import sys

try:
    import drgn
except ImportError:
    print("drgn is not importable (apt-get install python3-drgn; use /usr/bin/python3)")
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[0])
        return 2
    dump, vmlinux = sys.argv[1:]
    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
        prog.load_debug_info([vmlinux])
    except Exception as e:
        print("open=ERROR: %s: %s" % (type(e).__name__, e))
        return 1
    print("open=ok flags=%s" % prog.flags)
    bad = 0

    def show(key, fn):
        nonlocal bad
        try:
            print("%s=%s" % (key, fn()))
        except Exception as e:
            bad += 1
            print("%s=ERROR: %s: %s" % (key, type(e).__name__, e))

    s = lambda o: o.string_().decode(errors="replace")
    show("UTS_RELEASE", lambda: s(prog["UTS_RELEASE"]))
    show("init_uts_ns.release", lambda: s(prog["init_uts_ns"].name.release))
    show("init_uts_ns.version", lambda: s(prog["init_uts_ns"].name.version))
    show("init_uts_ns.machine", lambda: s(prog["init_uts_ns"].name.machine))
    show("init_task.comm", lambda: s(prog["init_task"].comm))
    show("jiffies_64", lambda: int(prog["jiffies_64"]))

    def crashed():
        t = prog.crashed_thread()
        frames = []
        for f in t.stack_trace():
            try:
                frames.append(f.name or hex(f.pc))
            except Exception:
                frames.append(hex(f.pc))
            if len(frames) == 6:
                break
        return "pid %d: %s" % (t.tid, " <- ".join(frames))
    show("crashed_thread", crashed)

    def cpus():  # the task on each CPU and where its NT_PRSTATUS says it was
        from drgn.helpers.linux.cpumask import for_each_online_cpu
        from drgn.helpers.linux.percpu import per_cpu
        out = []
        for cpu in for_each_online_cpu(prog):
            t = per_cpu(prog["runqueues"], cpu).curr
            st = prog.stack_trace(t)
            out.append("cpu%d pid %d pc %#x %s" % (cpu, t.pid, st[0].pc,
                                                    " <- ".join(f.name or "?" for f in list(st)[:3])))
        return "; ".join(out)
    show("cpus", cpus)
    # 1 MiB of physical memory at 16 MiB (kernel memory on x86_64)
    show("phys[16M,+1M].sha256", lambda: hashlib.sha256(prog.read(16 << 20, 1 << 20, True)).hexdigest()[:32])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
