#!/usr/bin/python3
"""xen_names_cli.py VMCARVE MKXENHOST SCENARIO WORKDIR

The domain names `split` shows and writes, now that it finds them as dom0 is written
(names_late), and `extract --domain <id>`, which does not look for them (names_on_request): on a
mkxenhost host with xenstore records, `split`'s file names and summary lines are those `list
--json` gives (its search is the up-front one); `extract --domain <id>` names only dom0
(Domain-0, which needs no search) and warns nothing about xenstore; `extract --domain NAME`
(which searches) writes what `--domain ID` writes, and a number that is no id nor name fails
as before. Exit 0 = all match.
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
import passfail  # noqa: E402 (after the bytecode setting)
check = passfail.check


def safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def main():
    vmcarve, mk, scen, work = sys.argv[1:5]
    d = os.path.join(work, "xen-names-cli-" + scen)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    host = os.path.join(d, "h")
    subprocess.run([mk, scen, host], check=True, stdout=subprocess.DEVNULL)
    host += ".elf"
    lst = json.loads(subprocess.run([vmcarve, "list", host, "--json", "-v"], capture_output=True, text=True).stdout)
    guests = [g for g in lst["guests"]]
    named = [g for g in guests if g["name"] and g["id"] != "0"]
    check(len(named) > 0, "%s: list names %d domU(s)" % (scen, len(named)))
    ok = [g for g in guests if not g.get("error")]
    # split: every file named as list names the guest
    out = os.path.join(d, "split")
    r = subprocess.run([vmcarve, "split", host, "-o", out], capture_output=True, text=True)
    want = sorted("%s%s.kdump" % (g["id"], "-" + safe(g["name"]) if g["name"] else "") for g in ok)
    got = sorted(os.listdir(out)) if os.path.isdir(out) else []
    check(got == want, "%s: split files %s (want %s)" % (scen, got, want))
    for g in ok:
        line = "guest %s%s (" % (g["id"], " " + g["name"] if g["name"] else "")
        check(line in r.stderr, "%s: split says '%s'" % (scen, line))
    # extract by id: no search of xenstore, so no name but dom0's and no xenstore warning
    for g in ok:
        o = os.path.join(d, "x%s.kdump" % g["id"])
        r = subprocess.run([vmcarve, "extract", host, "--domain", g["id"], "-o", o], capture_output=True, text=True)
        line = ": guest %s%s (" % (g["id"], " Domain-0" if g["id"] == "0" else "")
        check(r.returncode in (0, 2) and line in r.stderr, "%s: extract --domain %s says '%s'" % (scen, g["id"], line.strip()))
        shown = [l for l in r.stderr.splitlines() if "xenstore" in l]
        check(not shown, "%s: extract --domain %s warns nothing of xenstore (%s)" % (scen, g["id"], shown))
        if g["name"] and sum(1 for h in guests if h["name"] == g["name"]) == 1 and g["id"] != "0":
            o2 = os.path.join(d, "n%s.kdump" % g["id"])
            subprocess.run([vmcarve, "extract", "-q", host, "--domain", g["name"], "-o", o2], capture_output=True)
            check(os.path.exists(o2) and open(o, "rb").read() == open(o2, "rb").read(),
                  "%s: extract --domain %s writes what --domain %s does" % (scen, g["name"], g["id"]))
    r = subprocess.run([vmcarve, "extract", host, "--domain", "7777", "-o", os.path.join(d, "none")],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "no guest '7777'" in r.stderr, "%s: extract --domain 7777 fails: %s" % (scen, r.stderr.strip()))
    shutil.rmtree(d, ignore_errors=True)
    return 1 if passfail.fails else 0


if __name__ == "__main__":
    sys.exit(main())
