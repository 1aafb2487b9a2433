#!/usr/bin/python3
"""xen_pv_drgn.py DUMP VMLINUX - what drgn (0.0.22) reads from a carved PV domain: it has no
Xen knowledge and walks the guest's page tables from swapper_pg_dir, so every vmalloc, vmap
stack and module address below depends on the canonical page tables.

Prints one line: init_task.comm, tasks walked, stack traces unwound (each task's first
frame), modules listed; exit 0 when all of them were read (at least one task and one stack),
1 otherwise, 2 when drgn is missing.
"""
import sys

try:
    import drgn
    from drgn.helpers.linux.list import list_for_each_entry
    from drgn.helpers.linux.pid import for_each_task
except ImportError:
    print("drgn is not importable (apt-get install python3-drgn; use /usr/bin/python3)")
    sys.exit(2)


def main():
    dump, vmlinux = sys.argv[1:3]
    prog = drgn.Program()
    prog.set_core_dump(dump)
    prog.load_debug_info([vmlinux])
    comm = prog["init_task"].comm.string_().decode()
    tasks = stacks = 0
    errors = []
    for t in for_each_task(prog):
        tasks += 1
        try:
            if len(prog.stack_trace(t)) > 0:
                stacks += 1
        except Exception as e:  # noqa: BLE001 - reported
            errors.append("pid %d: %s" % (t.pid.value_(), e))
    mods = [m.name.string_().decode() for m in
            list_for_each_entry("struct module", prog["modules"].address_of_(), "list")]
    ok = comm == "swapper/0" and tasks and stacks == tasks
    print("init_task.comm=%s tasks=%d stack_traces=%d modules=%d (%s)%s -> %s" % (
        comm, tasks, stacks, len(mods), ",".join(mods[:4]), "; " + errors[0] if errors else "",
        "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - one line for the test log
        print("drgn failed: %s -> FAIL" % e)
        sys.exit(1)
