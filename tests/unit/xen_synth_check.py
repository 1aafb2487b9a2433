#!/usr/bin/python3
"""xen_synth_check.py VMCARVE MKXENHOST SCENARIO WORKDIR

Generates a synthetic Xen host dump with testdata/gen/mkxenhost (pv, hostile, qemu, wrongsyms,
pvpt, fragunder, fragover), runs
`vmcarve list --json` and `vmcarve extract --format elf` on it, and compares with what the
generator says a correct carver must produce: per domain the type, page counts, refused p2m
entries, max gfn, failure and its message, warnings, the exact set of machine frames in the
output (byte-equal to the host's), the number of synthesised p2m pages, and the p2m the output
carries (CRASH_INFO -> frame lists -> leaves) against the generator's p2m. Exit 0 = all match.
"""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "accept"))
REGS = __import__("xen_hvm_regs")  # the notes reader of the real-dump register check
sys.dont_write_bytecode = True
import passfail  # noqa: E402 (after the path and bytecode settings)
check = passfail.check


def elf_frames(path):
    f = open(path, "rb")
    eh = f.read(64)
    phoff, = struct.unpack_from("<Q", eh, 32)
    phnum, = struct.unpack_from("<H", eh, 56)
    f.seek(phoff)
    frames = {}
    for _ in range(phnum):
        p_type, _, off, _, paddr, filesz, _, _ = struct.unpack("<IIQQQQQQ", f.read(56))
        if p_type == 1:
            for i in range(filesz // 4096):
                frames[(paddr >> 12) + i] = off + i * 4096
    return f, frames


def main():
    vmcarve, mk, scen, work = sys.argv[1:5]
    prefix = os.path.join(work, "xen-" + scen)
    subprocess.run([mk, scen, prefix], check=True)
    host = prefix + ".elf"
    exp = [l.rstrip("\n") for l in open(prefix + ".expected")]
    want_exit = int(exp[0].split()[1])
    host_max = int(exp[1].split()[1], 16)
    args = []
    while len(exp) > 2 and exp[2].startswith(("args ", "stderr ")):
        k, v = exp.pop(2).split(" ", 1)
        if k == "args":
            args += v.split()
        else:
            want_err = v
    r = subprocess.run([vmcarve, "list", host, "--json", "-v"] + args, capture_output=True, text=True)
    check(r.returncode == want_exit, "list exit %d (want %d) %s" % (r.returncode, want_exit, r.stderr.strip()[:300]))
    if want_exit == 1:
        check(want_err in r.stderr, "list says '%s' (%s)" % (want_err, r.stderr.strip()))
        check(len(r.stderr.strip().splitlines()) == 1 and not r.stdout,
              "list refuses in one line on stderr and prints nothing else (%d lines, %d bytes on stdout)"
              % (len(r.stderr.strip().splitlines()), len(r.stdout)))
        print("RESULT xen-synth %s: %s" % (scen, "PASS" if not passfail.fails else "FAIL (%d)" % passfail.fails))
        return 1 if passfail.fails else 0
    try:
        js = json.loads(r.stdout)
    except ValueError:
        check(False, "list --json output parses: " + r.stdout[:200])
        return 1
    guests = {g["id"]: g for g in js["guests"]}
    splitfiles = []
    hf, hframes = elf_frames(host)
    for line in exp[2:]:
        kind, rest = line.split(" ", 1)
        if kind == "guest":
            gid, kv = rest.split(" ", 1)
            g = guests.get(gid)
            check(g is not None, "domain %s is listed" % gid)
            if g is None:
                continue
            fields, err = kv, None
            if " error=" in kv:
                fields, err = kv.split(" error=", 1)
            for item in fields.split():
                k, v = item.split("=", 1)
                if k == "synth":
                    continue
                got = g.get(k)
                got = ("true" if got else "false") if isinstance(got, bool) else str(got)
                check(got == v, "domain %s %s=%s (want %s)" % (gid, k, got, v))
            if err:
                check(err in g["error"], "domain %s error '%s' contains '%s'" % (gid, g["error"], err))
                o = os.path.join(work, "out-%s-%s.elf" % (scen, gid))
                r = subprocess.run([vmcarve, "extract", "-q", host, "--domain", gid, "-o", o, "--format", "elf"] + args,
                                   capture_output=True, text=True)
                check(r.returncode == 1 and err in r.stderr and not os.path.exists(o),
                      "extract of failed domain %s: exit %d, '%s', no output" % (gid, r.returncode, r.stderr.strip()))
                continue
            synth = int(dict(i.split("=", 1) for i in fields.split())["synth"])
            o = os.path.join(work, "out-%s-%s.elf" % (scen, gid))
            r = subprocess.run([vmcarve, "extract", "-q", host, "--domain", gid, "-o", o, "--format", "elf"] + args,
                               capture_output=True, text=True)
            check(r.returncode == 0, "extract domain %s exit %d %s" % (gid, r.returncode, r.stderr.strip()[:200]))
            if r.returncode:
                continue
            of, oframes = elf_frames(o)
            g["_out"] = (of, oframes, o)
            # synthesised p2m pages sit above every frame of the output's space: the host's
            # (machine space), or the guest's max_gfn (pfn space)
            top = int(g["max_gfn"]) if g.get("space") == "guest-physical" else host_max
            g["_top"] = top
            got_synth = sum(1 for m in oframes if m >= top)
            check(got_synth == synth, "domain %s: %d synthesised p2m pages above the host's frames (want %d)"
                  % (gid, got_synth, synth))
            if not os.path.exists("%s.p2m-%s.txt" % (prefix, gid)):
                continue
            p2m = subprocess.run([sys.executable, os.path.join(HERE, "..", "accept", "xen_p2m_check.py"), o,
                                  "%s.p2m-%s.txt" % (prefix, gid)], capture_output=True, text=True)
            check(p2m.returncode == 0, "domain %s p2m carried by the output: %s" % (gid, p2m.stdout.strip()))
        elif kind == "frames":
            gid, runs = rest.split(" ", 1)
            want = set()
            for run in runs.split():
                a, n = run.split("+")
                want |= set(range(int(a, 16), int(a, 16) + int(n)))
            g = guests.get(gid, {})
            if "_out" not in g:
                check(False, "domain %s frames: no output" % gid)
                continue
            of, oframes, o = g["_out"]
            got = {m for m in oframes if m < host_max}
            check(got == want, "domain %s: output frames = the %d frames it owns (extra %s, lacking %s)"
                  % (gid, len(want), sorted(hex(m) for m in got - want)[:5], sorted(hex(m) for m in want - got)[:5]))
            same = 0
            for m in got & want:
                of.seek(oframes[m])
                hf.seek(hframes[m])
                same += of.read(4096) == hf.read(4096)
            check(same == len(got & want), "domain %s: %d of %d frames byte-equal to the host's" % (gid, same, len(got & want)))
        elif kind in ("gmap", "zero"):
            # guest-physical outputs: output frame gfn must hold host frame mfn (or zeros)
            gid, a, b, *n = rest.split()
            g = guests.get(gid, {})
            if "_out" not in g:
                check(False, "domain %s %s: no output" % (gid, kind))
                continue
            of, oframes, o = g["_out"]
            g.setdefault("_want", set())
            if kind == "gmap":
                gfn, mfn, cnt = int(a, 16), int(b, 16), int(n[0])
            else:
                gfn, mfn, cnt = int(a, 16), None, int(b)
            good = 0
            for i in range(cnt):
                g["_want"].add(gfn + i)
                if gfn + i not in oframes:
                    continue
                of.seek(oframes[gfn + i])
                data = of.read(4096)
                if mfn is None:
                    good += data == bytes(4096)
                else:
                    hf.seek(hframes[mfn + i])
                    good += data == hf.read(4096)
            check(good == cnt, "domain %s: gfn 0x%x+%d %s (%d of %d)" % (gid, gfn, cnt,
                  "hold zeros" if mfn is None else "hold host frames 0x%x+" % mfn, good, cnt))
        elif kind == "ptpage":
            # a page table in pfn space: exactly the canonical entries the generator computed
            gid, pfn, *ents = rest.split()
            g = guests.get(gid, {})
            pfn = int(pfn, 16)
            if "_out" not in g or pfn not in g["_out"][1]:
                check(False, "domain %s page table at pfn 0x%x: not in the output" % (gid, pfn))
                continue
            g.setdefault("_want", set()).add(pfn)
            of, oframes, o = g["_out"]
            of.seek(oframes[pfn])
            got = struct.unpack("<512Q", of.read(4096))
            want = [int(x, 16) for x in ents]
            bad = [i for i in range(512) if got[i] != want[i]]
            check(not bad, "domain %s page table at pfn 0x%x canonical (%s)" % (gid, pfn, "; ".join(
                "entry %d: 0x%x, want 0x%x" % (i, got[i], want[i]) for i in bad[:3]) or "512 entries as expected"))
        elif kind == "report":
            gid, text = rest.split(" ", 1)
            rs = guests.get(gid, {}).get("report", "").split("\n")
            check(any(text in r for r in rs), "domain %s reports '%s' (%s)" % (gid, text, [r for r in rs if r.startswith("pv.")]))
        elif kind == "warning":
            gid, text = rest.split(" ", 1)
            ws = guests.get(gid, {}).get("warnings", [])
            check(any(text in w for w in ws), "domain %s warns '%s' (%s)" % (gid, text, ws[:3]))
        elif kind == "warncount":
            gid, text, n = rest.split(" ")
            ws = [w for w in guests.get(gid, {}).get("warnings", []) if text in w]
            check(len(ws) == int(n), "domain %s: %s warning(s) naming %s (%d: %s)" % (gid, n, text, len(ws), ws))
        elif kind == "splitfile":
            splitfiles.append(rest)
        elif kind == "method":
            gid, text = rest.split(" ", 1)
            got = guests.get(gid, {}).get("method", "")
            check(got.startswith(text), "domain %s method '%s' (want '%s')" % (gid, got, text))
        elif kind == "regs":
            # the vCPU's registers in the ELF output's notes (NT_PRSTATUS, QEMU CPU state)
            gid, vcpu, *kvs = rest.split()
            g = guests.get(gid, {})
            if "_out" not in g:
                check(False, "domain %s registers: no output" % gid)
                continue
            cpus, qemu = REGS.carved(g["_out"][2])
            have = dict(cpus[int(vcpu)]) if int(vcpu) < len(cpus) else {}
            if int(vcpu) < len(qemu):
                have.update(qemu[int(vcpu)])
            bad = ["%s=%s (want %s)" % (k, hex(have[k]) if k in have else None, v) for k, v in
                   (kv.split("=") for kv in kvs) if have.get(k) != int(v, 16)]
            check(have and not bad, "domain %s vCPU %s registers in the output's notes: %s" % (
                gid, vcpu, "; ".join(bad) or "%d as expected" % len(kvs)))
        elif kind == "hvwarning":
            ws = js.get("warnings", [])
            check(any(rest in w for w in ws), "hypervisor warns '%s' (%s)" % (rest, ws[:3]))
    # split: every carvable domain one file, the exit code saying whether one failed
    sdir = os.path.join(work, "split-" + scen)
    subprocess.run(["rm", "-rf", sdir])
    r = subprocess.run([vmcarve, "split", "-q", host, "-o", sdir] + args, capture_output=True, text=True)
    ok_ids = sorted(gid for gid, g in guests.items() if g["ok"])
    files = sorted(os.listdir(sdir)) if os.path.isdir(sdir) else []
    check(r.returncode == want_exit and sorted(f.split("-")[0].split(".")[0] for f in files) == ok_ids,
          "split: exit %d (want %d), files %s for domains %s" % (r.returncode, want_exit, files, ok_ids))
    for want in splitfiles:
        if want.endswith("-.kdump"):  # a domain without a name: just its id
            want = want[:-len("-.kdump")] + ".kdump"
        check(want in files, "split wrote %s (%s)" % (want, files))
    subprocess.run(["rm", "-rf", sdir])
    for gid, g in guests.items():
        if "_want" in g:
            got = {m for m in g["_out"][1] if m < g.get("_top", host_max) or g.get("type") != "PV"}
            check(got == g["_want"], "domain %s: output holds exactly the expected gfns (extra %s, lacking %s)"
                  % (gid, sorted(hex(m) for m in got - g["_want"])[:5], sorted(hex(m) for m in g["_want"] - got)[:5]))
    print("RESULT xen-synth %s: %s" % (scen, "PASS" if not passfail.fails else "FAIL (%d)" % passfail.fails))
    return 1 if passfail.fails else 0


if __name__ == "__main__":
    sys.exit(main())
