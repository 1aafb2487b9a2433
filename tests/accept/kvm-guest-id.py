#!/usr/bin/python3
"""kvm-guest-id.py LIST_JSON DOMAINS_TXT NAME - print the vmcarve guest id of test-bed guest NAME.

Matches by name (QEMU's -name, read from the VMM's command line) or VMM pid ("kvm-<pid>"
names, when only the kernel's stats id was found), else by
size: the guest whose pages_expected lies within 1 % above mem_mib * 256 (the RAM slot, plus
the BIOS ROM slots when memslots were read). Exit 1 when no or several guests match."""
import json
import sys


def main():
    lst, domains, name = sys.argv[1:4]
    with open(lst) as f:
        guests = json.load(f)["guests"]
    dom = None
    for line in open(domains):
        kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
        if kv.get("name") == name:
            dom = kv
    if not dom:
        print("no guest %s in %s" % (name, domains), file=sys.stderr)
        return 1
    pid = dom.get("pid")
    hits = [g for g in guests if g["name"] == name or (pid and g["name"] == "kvm-%s" % pid)]
    if not hits:
        want = int(dom["mem_mib"]) * 256
        hits = [g for g in guests if want <= g["pages_expected"] <= want * 1.01]
    if len(hits) != 1:
        print("%d guests match %s" % (len(hits), name), file=sys.stderr)
        return 1
    print(hits[0]["id"])
    return 0


sys.exit(main())
