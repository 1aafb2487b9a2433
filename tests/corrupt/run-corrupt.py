#!/usr/bin/python3
"""run-corrupt.py: run vmcarve over the corrupt corpus (mkcorrupt.py) and check the contract.

  run-corrupt.py --vmcarve V --mkfixture M --workdir W [--seed N] [--jobs J] [--timeout S]
                 [--shard K/N] SPEC...

Each spec is generated with mkfixture, mkcorrupt.cases() derives the corrupt inputs, and every
case runs `vmcarve info` and `vmcarve convert` to kdump (codec, threads and dedup rotate with
the case number), to ELF, and every third case to flat; a convert refused for missing frames
is run again with --partial. With --one-form (the sanitizer builds: each sanitized process
start costs about 0.1 s of CPU) a case is converted to one of kdump, ELF and flat, in turn.
Checked for every run:
  * the exit code is documented: info 0/1; convert 0/1, and 3 only with --partial;
  * exit 1: exactly one stderr line "vmcarve: ..." naming an input file and an offset 0x..;
  * no sanitizer report (ASan/UBSan/LSan text on stderr, or an exit code outside 0-3);
  * no hang: each run is limited to --cpu-limit seconds of CPU time (RLIMIT_CPU; robust
    against a loaded machine) and --timeout seconds of wall time (deadlocks); either is a
    failure. A killed run may leave its temporary file (a crash mid-run), never OUT itself;
  * the output directory holds nothing after a failure (no temporary file either); after
    exit 0 the output is there, `vmcarve info` reads it and its header does not say
    incomplete; after exit 3 it is there, readable, and its header says incomplete (kdump
    status bit 0x8, ELF e_flags bit 0);
  * the input files are unchanged.
With --shard K/N only the cases numbered K-1 modulo N are run (their number still chooses
codec, threads, dedup and form), so N ctest tests together run exactly the whole corpus, side
by side. Prints a table of exit codes per command; a passing case's files are removed, a failing
one's are kept under W/cases/. Exit 0 when every check passed, 1 otherwise.
"""
import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkcorrupt  # noqa: E402

SANITIZER = re.compile(r"Sanitizer|runtime error:|AddressSanitizer|LeakSanitizer")
OFFSET = re.compile(r"offset 0x[0-9a-f]+")
CODECS = ["-c", "-l", "-p", "-z", "--no-compress"]


def env_for_sanitizers():
    # sanitizers exit 1 by default, like a refused input: make their exit code stand out
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":exitcode=86"
    env["UBSAN_OPTIONS"] = env.get("UBSAN_OPTIONS", "") + ":halt_on_error=1:print_stacktrace=1:exitcode=86"
    env["LSAN_OPTIONS"] = env.get("LSAN_OPTIONS", "") + ":exitcode=86"
    return env


def digest(paths):
    h = hashlib.blake2b()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.digest()


def header_incomplete(path):
    """The output's own incomplete mark: kdump status INCOMPLETE, ELF e_flags bit 0."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:12] == b"makedumpfile":
        data = mkcorrupt.FlatView(data).image
    if data[:4] == b"\x7fELF":
        off = 48 if data[4] == 2 else 36
        return bool(mkcorrupt.le(data, off, 4) & 1)
    if data[:8] in (b"KDUMP   ", b"DISKDUMP"):
        return bool(mkcorrupt.le(data, 424, 4) & 8)
    return None


class Runner:
    def __init__(self, o):
        self.o = o
        self.env = env_for_sanitizers()
        self.counts = collections.defaultdict(collections.Counter)  # command -> rc -> n
        self.failures = []

    def limit_cpu(self):
        resource.setrlimit(resource.RLIMIT_CPU, (self.o.cpu_limit, self.o.cpu_limit + 1))

    def run(self, argv):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
                               timeout=self.o.timeout, preexec_fn=self.limit_cpu)
            rc = p.returncode
            if rc == -24:  # SIGXCPU
                rc = "cpu-limit"
            return rc, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return "timeout", "", ""

    def check_error(self, rc, err, inputs, problems, what):
        if SANITIZER.search(err) or rc not in (0, 1, 2, 3):
            report = [l.strip() for l in err.splitlines() if l.strip() and not l.startswith("=====")]
            problems.append("%s: sanitizer report, crash or hang (rc %s): %s" % (what, rc, " | ".join(report[:4])))
            return False
        if rc == 1:
            lines = err.splitlines()
            if len(lines) != 1:
                problems.append("%s: %d stderr lines, expected 1: %s" % (what, len(lines), " | ".join(lines[:4])))
                return True
            line = lines[0]
            names = inputs + [os.path.basename(i) for i in inputs]
            if not line.startswith("vmcarve: ") or not any(n in line for n in names):
                problems.append("%s: error line does not name the input: %s" % (what, line))
            elif not OFFSET.search(line):
                problems.append("%s: error line has no offset: %s" % (what, line))
        return True

    def check_output(self, rc, out, outdir, partial, what, problems):
        left = sorted(os.listdir(outdir))
        if rc not in (0, 3):
            if left:
                problems.append("%s: exit %s left files behind: %s" % (what, rc, left))
            return
        if rc == 3 and not partial:
            problems.append("%s: exit 3 without --partial" % what)
        if left != [os.path.basename(out)]:
            problems.append("%s: exit %d: output directory holds %s" % (what, rc, left))
            return
        inc = header_incomplete(out)
        if inc is None:
            problems.append("%s: exit %d: the output is neither kdump nor ELF" % what)
        elif inc != (rc == 3):
            problems.append("%s: exit %d but the output header says %s" % (
                what, rc, "incomplete" if inc else "complete"))
        irc, iout, ierr = self.run([self.o.vmcarve, "info", "--json", out])
        self.counts["info(output)"][irc] += 1
        if irc != 0:
            problems.append("%s: exit %d but `vmcarve info` on the output exits %s: %s" % (what, rc, irc, ierr.strip()))
        else:
            try:
                j = json.loads(iout)
                if rc == 0 and (j["incomplete"] or j["missing_pages"]):
                    problems.append("%s: exit 0 but info says %d missing pages" % (what, j["missing_pages"]))
            except (ValueError, KeyError) as e:
                problems.append("%s: info --json on the output: %s" % (what, e))
        for f in os.listdir(outdir):
            os.unlink(os.path.join(outdir, f))

    def case(self, idx, c):
        cdir = os.path.join(self.o.workdir, "cases", "%05d-%s" % (idx, c.name))
        shutil.rmtree(cdir, ignore_errors=True)
        indir, outdir = os.path.join(cdir, "in"), os.path.join(cdir, "out")
        os.makedirs(indir)
        os.makedirs(outdir)
        inputs = []
        for k, b in enumerate(c.files):
            p = os.path.join(indir, c.name + ("" if len(c.files) == 1 else ".%d" % (k + 1)))
            with open(p, "wb") as f:
                f.write(b)
            inputs.append(p)
        before = digest(inputs)
        problems, results = [], []
        V = self.o.vmcarve

        rc, _, err = self.run([V, "info"] + inputs)
        results.append(("info", rc))
        if self.check_error(rc, err, inputs, problems, "info") and rc not in (0, 1):
            problems.append("info: exit %s" % rc)

        codec = CODECS[idx % len(CODECS)]
        common = ["--threads", str(1 + idx % 2), "-q"]
        forms = [("kdump", "o.kdump", ["--format", "kdump", codec, "--dedup" if idx % 4 < 2 else "--no-dedup"]),
                 ("elf", "o.elf", ["--format", "elf"])]
        if idx % 3 == 0:
            forms.append(("flat", "o.flat", ["--format", "flat", codec]))
        if self.o.one_form:
            # sanitizer builds: each case converts to one form, the three taking turns, so every
            # writer still meets the whole corpus's shapes at half the process starts
            forms = [forms[0], forms[1], ("flat", "o.flat", ["--format", "flat", codec])][idx % 3:idx % 3 + 1]
        for kind, name, args in forms:
            out = os.path.join(outdir, name)
            for partial in (False, True):
                what = kind + ("-partial" if partial else "")
                argv = [V, "convert"] + inputs + ["-o", out] + args + common + (["--partial"] if partial else [])
                rc, _, err = self.run(argv)
                results.append((what, rc))
                if self.check_error(rc, err, inputs, problems, what):
                    if rc == 2:
                        problems.append("%s: usage error (exit 2): %s" % (what, err.strip()))
                    self.check_output(rc, out, outdir, partial, what, problems)
                else:
                    # killed mid-run: the temporary file may stay, the output name must not appear
                    if os.path.exists(out):
                        problems.append("%s: killed, yet %s exists" % (what, out))
                    for f in os.listdir(outdir):
                        os.unlink(os.path.join(outdir, f))
                # --partial only for what was refused for missing frames
                if partial or rc != 1 or "--partial" not in err:
                    break
        if digest(inputs) != before:
            problems.append("an input file was modified")
        if not problems:
            shutil.rmtree(cdir, ignore_errors=True)
        return c.name, sum(len(b) for b in c.files), results, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmcarve", required=True)
    ap.add_argument("--mkfixture", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--one-form", action="store_true",
                    help="convert each case to one output form (kdump, ELF, flat in turn), not all")
    ap.add_argument("--shard", default="1/1", help="K/N: run only the cases numbered K-1 modulo N")
    ap.add_argument("--cpu-limit", type=int, default=10, help="CPU seconds per run")
    ap.add_argument("--timeout", type=float, default=60, help="wall seconds per run")
    ap.add_argument("specs", nargs="+")
    o = ap.parse_args()
    o.vmcarve = os.path.abspath(o.vmcarve)
    try:
        shard_k, shard_n = (int(x) for x in o.shard.split("/"))
        if not 1 <= shard_k <= shard_n:
            raise ValueError
    except ValueError:
        ap.error("--shard wants K/N with 1 <= K <= N")
    shutil.rmtree(o.workdir, ignore_errors=True)
    os.makedirs(os.path.join(o.workdir, "fixtures"))
    t0 = time.time()
    prefixes = []
    for spec in o.specs:
        prefix = os.path.join(o.workdir, "fixtures", os.path.basename(spec)[:-len(".spec")])
        subprocess.run([o.mkfixture, spec, prefix], check=True, stdout=subprocess.DEVNULL)
        prefixes.append(prefix)

    r = Runner(o)
    ncases = nrun = nbytes = 0
    per_fixture = collections.Counter()
    def collect(done):
        nonlocal nbytes
        for f in done:
            name, size, results, problems = f.result()
            nbytes += size
            for what, rc in results:
                r.counts[what][rc] += 1
            for p in problems:
                r.failures.append("%s: %s" % (name, p))

    # a few cases in flight at a time: the corpus is never all in memory or on disk
    with concurrent.futures.ThreadPoolExecutor(o.jobs) as pool:
        pending = set()
        for prefix in prefixes:
            for c in mkcorrupt.cases(prefix, o.seed):
                if ncases % shard_n != shard_k - 1:
                    ncases += 1
                    continue
                if len(pending) >= 2 * o.jobs:
                    done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                    collect(done)
                pending.add(pool.submit(r.case, ncases, c))
                per_fixture[os.path.basename(prefix)] += 1
                nrun += 1
                ncases += 1
        collect(concurrent.futures.wait(pending)[0])

    cols = [0, 1, 2, 3, "other"]
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = ["corrupt corpus: %d cases (%.1f MB) from %d fixtures, seed %d, shard %s (%d cases in all); %.0f s wall, %.0f s CPU" % (
        nrun, nbytes / 1e6, len(prefixes), o.seed, o.shard, ncases, time.time() - t0, ru.ru_utime + ru.ru_stime),
        "  " + ", ".join("%s %d" % kv for kv in sorted(per_fixture.items())),
        "%-16s %7s %7s %7s %7s %7s %7s" % ("command", "runs", "exit 0", "exit 1", "exit 2", "exit 3", "other")]
    tot = collections.Counter()
    for what in ["info", "kdump", "kdump-partial", "elf", "elf-partial", "flat", "flat-partial", "info(output)"]:
        cnt = r.counts.get(what)
        if not cnt:
            continue
        row = [cnt.get(c, 0) for c in cols[:4]] + [sum(v for k, v in cnt.items() if k not in cols[:4])]
        for c, v in zip(cols, row):
            tot[c] += v
        lines.append("%-16s %7d %7d %7d %7d %7d %7d" % (what, sum(row), *row))
    lines.append("%-16s %7d %7d %7d %7d %7d %7d" % ("all", sum(tot.values()), *[tot[c] for c in cols]))
    lines.append("checks failed: %d" % len(r.failures))
    summary = "\n".join(lines)
    print(summary)
    for f in r.failures[:40]:
        print("FAIL: " + f)
    if len(r.failures) > 40:
        print("... %d more (all in %s)" % (len(r.failures) - 40, os.path.join(o.workdir, "failures.txt")))
    with open(os.path.join(o.workdir, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    with open(os.path.join(o.workdir, "failures.txt"), "w") as f:
        f.write("".join(x + "\n" for x in r.failures))
    if nrun == 0:
        print("FAIL: shard %s ran no case" % o.shard)
        return 1
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
