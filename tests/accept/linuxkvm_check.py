#!/usr/bin/python3
"""linuxkvm_check.py PROBE-OUTPUT BED [--filtered]

Judges tests/tools/lkvm_probe's output (what vmc_linux_kvm_find and vmc_linux_uva_walk
return for a host dump) against the KVM test bed's ground truth:
  * the VMs (struct kvm address, userspace_pid) equal crash's (truth/kvm-crash-truth-*.txt);
  * every VM's memslots (both address spaces) equal crash's, line for line;
  * vCPU: VMCB physical address (vmcb01.pa), TDP root (root_mmu.root.hpa), vcpu.arch.cr3,
    and the registers KVM keeps in step with the VMCB (cr0, cr4, rsp, efer | SVME) equal
    crash's;
  * every guest page of truth/guest<N>.gpa2hpa.txt (the VMM's own pagemap) maps through
    the memslots and the VMM's page tables to the same host frame: agree/disagree/unmapped;
    with --filtered (a dump whose user pages were excluded) the pages must be mapped but
    reported absent from the dump (frames_absent), so a carver can say so up front.
Prints PASS/FAIL/INFO lines; exit 0 when everything passed."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "unit"))
sys.dont_write_bytecode = True
import passfail  # noqa: E402 (after the path and bytecode settings)
check = passfail.check


def parse_probe(path):
    vms, cur, gpa_vm = [], None, None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("ERROR"):
            check(False, "lkvm_probe: " + line)
        m = re.match(r"VM kvm=(0x[0-9a-f]+) userspace_pid=(-?\d+) stats_id=(\S*) pgd_pa=(0x[0-9a-f]+)", line)
        if m:
            cur = {"kvm": int(m.group(1), 16), "pid": int(m.group(2)), "stats_id": m.group(3), "slots": [],
                   "vcpus": [], "runs": [], "slotwalk": []}
            vms.append(cur)
            continue
        s = line.strip()
        if s.startswith("MEMSLOT "):
            cur["slots"].append(s)
        elif s.startswith("VCPU "):
            cur["vcpus"].append(dict(kv.split("=", 1) for kv in s.split()[1:]))
        elif s.startswith("R "):
            _, g, h, n = s.split()
            cur["runs"].append((int(g, 16), int(h, 16), int(n)))
        elif s.startswith("SLOT "):
            cur["slotwalk"].append(s)
    return vms


def parse_crash_truth(path):
    vms, vcpus = {}, []
    cur = None
    for line in open(path):
        s = line.strip()
        m = re.match(r"VM kvm=(0x[0-9a-f]+) userspace_pid=(\d+)", s)
        if m:
            cur = int(m.group(1), 16)
            vms[cur] = {"pid": int(m.group(2)), "slots": []}
        elif s.startswith("MEMSLOT "):
            vms[cur]["slots"].append(s)
        elif s.startswith("VCPU "):
            vcpus.append(dict(kv.split("=", 1) for kv in s.split()[1:]))
    return vms, vcpus


def parse_gpa2hpa(path):
    runs, pid = [], None
    for line in open(path):
        m = re.match(r"# pagemap-runs pid=(\d+) hva_start=(0x[0-9a-f]+)", line)
        if m:
            pid, hva = int(m.group(1)), int(m.group(2), 16)
        elif line.startswith("R "):
            _, g, h, n = line.split()
            runs.append((int(g, 16), int(h, 16), int(n)))
    return pid, hva, runs


def main():
    probe, bed = sys.argv[1], sys.argv[2]
    filtered = "--filtered" in sys.argv
    truth_name = sys.argv[sys.argv.index("--truth") + 1] if "--truth" in sys.argv else None
    vms = parse_probe(probe)
    if truth_name:
        tvms, tvcpus = parse_crash_truth(f"{bed}/truth/kvm-crash-truth-{truth_name}.txt")
        check(sorted((v["kvm"], v["pid"]) for v in vms) == sorted((k, t["pid"]) for k, t in tvms.items()),
              f"VMs found {[(hex(v['kvm']), v['pid']) for v in vms]} == crash's {[(hex(k), t['pid']) for k, t in tvms.items()]}")
        for v in vms:
            t = tvms.get(v["kvm"])
            if not t:
                continue
            check(v["slots"] == t["slots"], f"VM pid {v['pid']}: {len(v['slots'])} memslots == crash's {len(t['slots'])}, line for line")
            check(v["stats_id"] == f"kvm-{v['pid']}", f"VM pid {v['pid']}: stats_id {v['stats_id']}")
        for tv in tvcpus:
            kvm = int(tv["vcpu.kvm"], 16)
            v = next((x for x in vms if x["kvm"] == kvm), None)
            c = None
            if v:
                c = next((x for x in v["vcpus"] if int(x["id"]) == int(tv["vcpu.vcpu_id"], 16)), None)
            if not c:
                check(False, f"vCPU {tv['vcpu.vcpu_id']} of VM {hex(kvm)} (crash) not found")
                continue
            for ours, theirs in (("vmcb_pa", "vmcb01.pa"), ("root_hpa", "vcpu.arch.root_mmu.root.hpa"), ("cr3", "vcpu.arch.cr3"),
                                 ("cr0", "vmcb.save.cr0"), ("cr4", "vmcb.save.cr4"), ("r4", "vmcb.save.rsp")):
                check(int(c[ours], 16) == int(tv[theirs], 16),
                      f"VM pid {v['pid']} vCPU {c['id']}: {ours} {c[ours]} == crash's {theirs} {tv[theirs]}")
            # SVM keeps EFER.SVME (bit 12) set in the VMCB's copy of the guest's EFER
            check(int(c["efer"], 16) | 0x1000 == int(tv["vmcb.save.efer"], 16),
                  f"VM pid {v['pid']} vCPU {c['id']}: efer {c['efer']} | SVME == crash's vmcb.save.efer {tv['vmcb.save.efer']}")
            # after a HLT exit KVM has advanced regs[RIP] past the instruction; the VMCB still has the old one
            print(f"INFO  VM pid {v['pid']} vCPU {c['id']}: vcpu->arch.regs[RIP] {c['rip']}, crash's vmcb.save.rip {tv['vmcb.save.rip']}")
    doms = [l.split() for l in open(f"{bed}/truth/domains.txt") if l.startswith("name=guest")]
    for dom in doms:
        kv = dict(x.split("=", 1) for x in dom)
        pid, hva0, truth_runs = parse_gpa2hpa(f"{bed}/{kv['map']}")
        v = next((x for x in vms if x["pid"] == pid), None)
        if not v:
            check(False, f"{kv['name']}: no VM with userspace_pid {pid}")
            continue
        # the truth is per page of the RAM block at hva0; our map is per gfn through the memslots
        slots = []
        for s in v["slots"]:
            d = dict(x.split("=", 1) for x in s.split()[1:])
            if d["as"] == "0":
                slots.append((int(d["base_gfn"], 16), int(d["npages"], 16), int(d["userspace_addr"], 16)))
        ours = {}
        for g, h, n in v["runs"]:
            for i in range(n):
                ours[g + i] = h + i
        agree = disagree = unmapped = noslot = 0
        first_bad = None
        for idx, h, n in truth_runs:
            for i in range(n):
                hva = hva0 + ((idx + i) << 12)
                gfns = [b + ((hva - u) >> 12) for b, np, u in slots if u <= hva < u + (np << 12)]
                if not gfns:
                    noslot += 1
                    continue
                for gfn in gfns:
                    got = ours.get(gfn)
                    if got is None:
                        unmapped += 1
                    elif got == h + i:
                        agree += 1
                    else:
                        disagree += 1
                        first_bad = first_bad or (gfn, got, h + i)
        total = sum(n for _, _, n in truth_runs)
        print(f"INFO  {kv['name']} (pid {pid}): {total} truth pages: gfn->hpa agree {agree}, disagree {disagree}, unmapped {unmapped}, in no memslot {noslot}")
        check(disagree == 0 and unmapped == 0 and agree >= total and noslot == 0,
              f"{kv['name']}: every truth page maps through memslot + VMM page tables to the VMM's own hpa"
              + (f" (first bad: gfn {first_bad[0]:#x} -> {first_bad[1]:#x}, truth {first_bad[2]:#x})" if first_bad else ""))
        absent = sum(int(re.search(r"frames_absent=(\d+)", s).group(1)) for s in v["slotwalk"])
        mapped = sum(int(re.search(r"mapped=(\d+)", s).group(1)) for s in v["slotwalk"])
        tabs = sum(int(re.search(r"tables_absent=(\d+)", s).group(1)) for s in v["slotwalk"])
        if filtered:
            check(absent == mapped and mapped > 0,
                  f"{kv['name']}: filtered dump: {absent} of {mapped} mapped frames reported absent from the dump")
        else:
            check(absent == 0 and tabs == 0, f"{kv['name']}: all {mapped} mapped frames and all page tables are in the dump")
    print(f"RESULT {passfail.fails} failed check(s)")
    return 1 if passfail.fails else 0


if __name__ == "__main__":
    sys.exit(main())
