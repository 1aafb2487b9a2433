#!/usr/bin/python3
"""pagecmp.py - compare memory dumps page by page over every physical frame.

usage: pagecmp.py [-j N] [--reader own|libkdumpfile] [--ref-reader own|libkdumpfile]
                  [--ignore-partial-of ELF] [--show N] [-q] REF DUMP [DUMP ...]

Every DUMP is compared with REF over all 4 KiB frames 0 .. max(end of REF, end of DUMP):
a frame must be present in both with identical bytes, or absent from both. "Absent" means
not in the dump at all or excluded (filtered out); a dump may not hide that difference.
The DUMPs are compared in parallel (-j, default: CPUs, at most 4).

Readers (independent of vmcarve):
  ELF core (\\x7fELF)       own reader: the PT_LOAD segments by p_paddr, p_filesz bytes of
                            data; the memsz-only tail of a segment is excluded (absent).
                            When segments overlap, the first one in the program header
                            table wins (as in makedumpfile).
  kdump-compressed         python3-libkdumpfile (KDUMP_MACHPHYSADDR); presence from the
  (KDUMP / DISKDUMP)        file's page bitmap (attribute file.pagemap), data via read().
  makedumpfile flattened   rearranged first with `makedumpfile -R` into $TMPDIR.
  --reader libkdumpfile    reads the data of ELF DUMPs through libkdumpfile; presence
                           still comes from the PT_LOADs, because libkdumpfile 0.5.1's
                           page bitmap of an ELF file stalls at overlapping segments
                           (--ref-reader: the same for an ELF REF).

Partial frames: a frame that an ELF segment covers only in part (host-kdump.vmcore: 0x9f,
the segment ends at 0x9fc00) is neither present nor absent. When the other dump has the
whole page, the bytes the ELF has must match (else: different); the frame is listed as
"partial" and is no failure by itself: makedumpfile leaves such a frame out of a kdump, a
converter may keep it with the rest filled. --ignore-partial-of ELF leaves out of the
comparison the frames that ELF has only in part (e.g. to compare two re-filtered dumps).

Per DUMP it prints
  pagecmp REF vs DUMP: frames=F present=P identical=I (zero=Z) different=D only-in-ref=R
      only-in-dump=O absent-in-both=A partial=K -> PASS|FAIL
followed by the partial frames and up to --show example runs of each kind of difference.
PASS needs D = R = O = 0 and P > 0. Exit 0 when every DUMP passes, 1 when any differs,
2 on a usage or read error. Run it with Debian's /usr/bin/python3 (python3-libkdumpfile
is not importable from a venv/pyenv python).
"""
import argparse
import bisect
import mmap
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PAGE = 4096
CHUNK = 256  # pages per read


class ReadError(Exception):
    pass


def merge_runs(runs):
    out = []
    for a, b in sorted(runs):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract(run, covered):
    """Parts of [a, b) not covered by the (sorted, merged) list `covered`."""
    a, b = run
    out = []
    for c, d in covered:
        if d <= a or c >= b:
            continue
        if c > a:
            out.append((a, c))
        a = max(a, d)
        if a >= b:
            break
    if a < b:
        out.append((a, b))
    return out


def in_runs(runs, pfn):
    i = bisect.bisect_right(runs, (pfn, float("inf"))) - 1
    return i >= 0 and runs[i][0] <= pfn < runs[i][1]


class ElfDump:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        self.size = os.fstat(self.f.fileno()).st_size
        self.m = mmap.mmap(self.f.fileno(), 0, access=mmap.ACCESS_READ)
        m = self.m
        if len(m) < 64 or m[:4] != b"\x7fELF" or m[4] != 2 or m[5] != 1:
            raise ReadError("%s: not a little-endian ELF64 file" % path)
        phoff, shoff = struct.unpack_from("<QQ", m, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", m, 0x36)
        if phnum == 0xFFFF:  # PN_XNUM: the real count is in section 0's sh_info
            if not shoff or shoff + 64 > self.size:
                raise ReadError("%s: e_phnum is PN_XNUM but there is no section header 0" % path)
            phnum, = struct.unpack_from("<I", m, shoff + 0x2C)
        if phoff + phnum * phentsize > self.size or phentsize < 56:
            raise ReadError("%s: program headers outside the file" % path)
        self.runs = []  # (pfn_start, pfn_end, file_offset_of_pfn_start), disjoint
        partial = {}  # pfn -> (start in page, length, file offset): pages only partly in the data
        covered = []
        for i in range(phnum):
            p_type, _fl, off, _va, pa, filesz, _memsz = struct.unpack_from("<IIQQQQQ", m, phoff + i * phentsize)
            if p_type != 1 or not filesz:
                continue
            if off + filesz > self.size:
                raise ReadError("%s: PT_LOAD %d (paddr %#x) ends at %#x, beyond the end of the file (%#x)"
                                % (path, i, pa, off + filesz, self.size))
            first = (pa + PAGE - 1) // PAGE
            end = (pa + filesz) // PAGE
            if pa % PAGE:
                partial.setdefault(pa // PAGE, (pa % PAGE, min(PAGE - pa % PAGE, filesz), off))
            if (pa + filesz) % PAGE and (pa + filesz) // PAGE >= first:
                t = (pa + filesz) // PAGE
                partial.setdefault(t, (0, (pa + filesz) % PAGE, off + t * PAGE - pa))
            if end <= first:
                continue
            for a, b in subtract((first, end), covered):
                self.runs.append((a, b, off + a * PAGE - pa))
            covered = merge_runs(covered + [(first, end)])
        self.partial = {p: v for p, v in partial.items() if not in_runs(covered, p)}
        self.runs.sort()
        self.present = merge_runs([(a, b) for a, b, _ in self.runs])
        self.end = self.present[-1][1] if self.present else 0
        self.desc = "ELF (own reader, %d PT_LOAD runs)" % len(self.runs)

        self.read_runs = [(a, b) for a, b, _ in self.runs]
        self._starts = [a for a, _, _ in self.runs]

    def read(self, pfn, n):
        """n pages from pfn; the range lies inside one of read_runs."""
        i = bisect.bisect_right(self._starts, pfn) - 1
        a, b, off = self.runs[i]
        assert a <= pfn and pfn + n <= b
        o = off + (pfn - a) * PAGE
        return self.m[o:o + n * PAGE]

    def partial_bytes(self, pfn):
        st, ln, fo = self.partial[pfn]
        return st, self.m[fo:fo + ln]


class LkfElfDump(ElfDump):
    """ELF: presence from our own PT_LOAD parse (libkdumpfile 0.5.1's ELF page bitmap is
    unreliable: find_set/find_clear stall on overlapping segments), data via libkdumpfile."""

    def __init__(self, path):
        super().__init__(path)
        lk = LkfDump(path, bitmap=False)
        self.k, self.space, self.lk = lk.k, lk.space, lk
        self.desc = "ELF (presence: own PT_LOAD parse, %d runs; data: libkdumpfile)" % len(self.runs)

    def read(self, pfn, n):
        return self.lk.read(pfn, n)


class LkfDump:
    def __init__(self, path, bitmap=True):
        try:
            import kdumpfile
        except ImportError:
            raise ReadError("python3-libkdumpfile is needed for %s (apt-get install python3-libkdumpfile; "
                            "use /usr/bin/python3)" % path)
        self.K = kdumpfile
        self.path = path
        try:
            self.k = kdumpfile.kdumpfile(path)
            self.fmt = self.k.attr["file.format"]
            self.max_pfn = int(self.k.attr["max_pfn"])
            bmp = self.k.attr["file.pagemap"] if bitmap else None
        except Exception as e:
            raise ReadError("%s: libkdumpfile cannot open it: %s" % (path, e))
        self.space = kdumpfile.KDUMP_MACHPHYSADDR
        if not bitmap:
            return
        runs = []
        p = 0
        while p < self.max_pfn:
            try:
                s = bmp.find_set(p)
            except Exception:  # no set bit left
                break
            if s >= self.max_pfn:
                break
            try:
                c = min(bmp.find_clear(s), self.max_pfn)
            except Exception:
                c = self.max_pfn
            if c <= s:
                raise ReadError("%s: libkdumpfile's page bitmap is inconsistent at pfn %#x (find_set %#x, "
                                "find_clear %#x)" % (path, p, s, c))
            runs.append((s, c))
            p = c
        self.present = runs
        self.end = runs[-1][1] if runs else 0
        self.read_runs = runs
        self.partial = {}
        self.desc = "%s via libkdumpfile (max_pfn %#x)" % (self.fmt, self.max_pfn)

    def read(self, pfn, n):
        try:
            return bytes(self.k.read(self.space, pfn * PAGE, n * PAGE))
        except Exception as e:
            if n == 1:
                raise ReadError("%s: pfn %#x is in the page bitmap but libkdumpfile cannot read it: %s: %s"
                                % (self.path, pfn, type(e).__name__, e))
            # find the bad page(s) one by one
            return b"".join(self.read(pfn + i, 1) for i in range(n))


_tmpdirs = []


def rearrange_flat(path):
    mdf = shutil.which("makedumpfile") or "/usr/sbin/makedumpfile"
    if not os.path.exists(mdf):
        raise ReadError("%s is a flattened makedumpfile stream; makedumpfile -R is needed to read it" % path)
    d = tempfile.mkdtemp(prefix="pagecmp-")
    _tmpdirs.append(d)
    out = os.path.join(d, "rearranged.kdump")
    with open(path, "rb") as src:
        r = subprocess.run([mdf, "-R", out], stdin=src, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode:
        raise ReadError("makedumpfile -R < %s failed: %s" % (path, r.stderr.decode(errors="replace").strip()))
    return out


def is_flat(path):
    with open(path, "rb") as f:
        return f.read(12) == b"makedumpfile"


def open_dump(path, reader):
    if is_flat(path):
        return LkfDump(rearrange_flat(path)), "flattened, rearranged with makedumpfile -R; "
    with open(path, "rb") as f:
        head = f.read(16)
    if head[:4] == b"\x7fELF" and reader == "own":
        return ElfDump(path), ""
    if head[:4] == b"\x7fELF":
        return LkfElfDump(path), ""
    if head[:8] in (b"KDUMP   ", b"DISKDUMP"):
        return LkfDump(path), ""
    raise ReadError("%s: not an ELF core, kdump-compressed or flattened file (magic %r)" % (path, head[:8]))


def intersect(r1, r2):
    out = []
    i = j = 0
    while i < len(r1) and j < len(r2):
        a, b = max(r1[i][0], r2[j][0]), min(r1[i][1], r2[j][1])
        if a < b:
            out.append((a, b))
        if r1[i][1] < r2[j][1]:
            i += 1
        else:
            j += 1
    return out


def count_frames(runs, lo, hi):
    return sum(max(0, min(b, hi) - max(a, lo)) for a, b in runs)


ZERO_PAGE = bytes(PAGE)


def compare(ref_path, dump_path, args):
    """Returns (ok, text); ok is None on a read error."""
    ntmp = len(_tmpdirs)
    try:
        return _compare(ref_path, dump_path, args)
    finally:
        for d in _tmpdirs[ntmp:]:
            shutil.rmtree(d, ignore_errors=True)
        del _tmpdirs[ntmp:]


def _compare(ref_path, dump_path, args):
    lines = []
    try:
        r, rnote = open_dump(args.ref_read or ref_path, args.ref_reader)
        if args.ref_read:
            rnote = "flattened, rearranged with makedumpfile -R; "
        d, note = open_dump(dump_path, args.reader)
        # pages present in both, split at the readers' contiguous runs
        both = intersect(r.read_runs, d.read_runs)
        same = zero = 0
        different = []
        for a, b in both:
            p = a
            while p < b:
                n = min(CHUNK, b - p)
                x, y = r.read(p, n), d.read(p, n)
                if x == y:
                    same += n
                    if x.count(0) == len(x):
                        zero += n
                    else:
                        mv = memoryview(x)
                        zero += sum(1 for i in range(n) if mv[i * PAGE:(i + 1) * PAGE] == ZERO_PAGE)
                else:
                    for i in range(n):
                        if x[i * PAGE:(i + 1) * PAGE] == y[i * PAGE:(i + 1) * PAGE]:
                            same += 1
                            zero += x[i * PAGE:(i + 1) * PAGE] == ZERO_PAGE
                        else:
                            different.append(p + i)
                p += n
        # Frames that one side has only partly (an ELF segment that starts or ends inside
        # a page): the bytes it has must match the other side's page when that side has
        # the page in full. Such a frame is neither "only in" one side nor a failure by
        # itself; makedumpfile drops it from a kdump, a converter may also keep it.
        partial_notes, partial_match = [], set()
        for name, x, y in (("ref", r, d), ("dump", d, r)):
            for pfn in sorted(x.partial):
                st, data = x.partial_bytes(pfn)
                what = "frame %#x: the %s has bytes %#x-%#x of it only" % (pfn, name, st, st + len(data) - 1)
                if in_runs(y.present, pfn):
                    partial_match.add(pfn)  # reported here, not as only-in-ref/dump
                    page = y.read(pfn, 1)
                    if page[st:st + len(data)] == data:
                        rest = page[:st] + page[st + len(data):]
                        partial_notes.append("%s; the other has the whole page, those bytes match (the rest is %s)"
                                             % (what, "zero" if rest.count(0) == len(rest) else "non-zero"))
                    else:
                        different.append(pfn)
                        partial_notes.append("%s; the other has the whole page and those bytes DIFFER" % what)
                elif pfn in y.partial:
                    st2, data2 = y.partial_bytes(pfn)
                    same_part = (st, data) == (st2, data2)
                    if not same_part:
                        different.append(pfn)
                    if name == "ref":
                        partial_notes.append("%s; the other has %s" % (what, "the same bytes" if same_part
                                                                      else "DIFFERENT bytes %#x+%#x" % (st2, len(data2))))
                else:
                    partial_notes.append("%s; the other does not have it" % what)
    except (ReadError, OSError) as e:
        return None, "pagecmp %s vs %s: ERROR: %s" % (ref_path, dump_path, e)
    end = max(r.end, d.end)
    present = count_frames(both, 0, end)
    in_ref = sum(b - a for a, b in r.present)
    in_dump = sum(b - a for a, b in d.present)
    pm = merge_runs([(p, p + 1) for p in partial_match])
    only_ref_runs = []
    for run in r.present:
        for part in subtract(run, d.present):
            only_ref_runs += subtract(part, pm)
    only_dump_runs = []
    for run in d.present:
        for part in subtract(run, r.present):
            only_dump_runs += subtract(part, pm)
    ign = merge_runs([(p, p + 1) for p in args.ignore])
    if ign:
        only_ref_runs = [q for run in only_ref_runs for q in subtract(run, ign)]
        only_dump_runs = [q for run in only_dump_runs for q in subtract(run, ign)]
        different = [p for p in different if p not in args.ignore]
    only_ref = sum(b - a for a, b in only_ref_runs)
    only_dump = sum(b - a for a, b in only_dump_runs)
    neither = end - present - (in_ref - present) - (in_dump - present)
    diff = len(set(different))
    ok = diff == 0 and only_ref == 0 and only_dump == 0 and present > 0
    lines.append("pagecmp %s vs %s: frames=%d present=%d identical=%d (zero=%d) different=%d only-in-ref=%d "
                 "only-in-dump=%d absent-in-both=%d partial=%d -> %s"
                 % (ref_path, dump_path, end, present, same, zero, diff, only_ref, only_dump, neither,
                    len(partial_notes), "PASS" if ok else "FAIL"))
    if not args.quiet:
        lines.append("  ref:  %s%s" % (rnote, r.desc))
        lines.append("  dump: %s%s" % (note, d.desc))
    for t in partial_notes:
        lines.append("  partial " + t)
    if args.ignore:
        lines.append("  ignored frames (--ignore-partial-of): %s" % ", ".join("%#x" % p for p in sorted(args.ignore)))
    ex = {"different": merge_runs([(p, p + 1) for p in set(different)]),
          "only-in-ref": merge_runs(only_ref_runs), "only-in-dump": merge_runs(only_dump_runs)}
    for kind, runs in ex.items():
        if runs:
            shown = ", ".join("%#x" % a if b == a + 1 else "%#x-%#x" % (a, b - 1) for a, b in runs[:args.show])
            more = " (+%d more runs)" % (len(runs) - args.show) if len(runs) > args.show else ""
            lines.append("  %s: %d frames in %d runs: %s%s" % (kind, sum(b - a for a, b in runs), len(runs),
                                                             shown, more))
    return ok, "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="compare dumps page by page", usage=__doc__.split("\n\n")[1][len("usage: "):])
    ap.add_argument("-j", "--jobs", type=int, default=min(len(os.sched_getaffinity(0)), 4))
    ap.add_argument("--reader", choices=("own", "libkdumpfile"), default="own", help="reader of ELF DUMPs")
    ap.add_argument("--ref-reader", choices=("own", "libkdumpfile"), default="own", help="reader of an ELF REF")
    ap.add_argument("--show", type=int, default=8, help="example runs to list per kind of difference")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--ignore-partial-of", metavar="ELF", action="append", default=[],
                    help="ignore the frames that are only partly in this ELF file's data")
    ap.add_argument("ref")
    ap.add_argument("dumps", nargs="+")
    args = ap.parse_args()
    args.ref_read = None
    args.ignore = set()
    try:
        for p in args.ignore_partial_of:
            args.ignore |= set(ElfDump(p).partial)
    except (ReadError, OSError) as e:
        print("pagecmp: ERROR: %s" % e, file=sys.stderr)
        return 2
    try:
        if is_flat(args.ref):  # rearrange once, not once per DUMP
            args.ref_read = rearrange_flat(args.ref)
    except (ReadError, OSError) as e:
        print("pagecmp: ERROR: %s" % e, file=sys.stderr)
        return 2
    if args.jobs > 1 and len(args.dumps) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp
        global _ARGS
        _ARGS = args
        # a worker that dies (e.g. in libkdumpfile) fails its comparison instead of hanging
        with cf.ProcessPoolExecutor(min(args.jobs, len(args.dumps)), mp_context=mp.get_context("fork")) as ex:
            futs = [ex.submit(_work, p) for p in args.dumps]
            results = []
            for p, f in zip(args.dumps, futs):
                try:
                    results.append(f.result())
                except Exception as e:
                    results.append((None, "pagecmp %s vs %s: ERROR: the worker failed: %r" % (args.ref, p, e)))
    else:
        results = [compare(args.ref, p, args) for p in args.dumps]
    rc = 0
    for ok, text in results:
        print(text, flush=True)
        if ok is None:
            rc = max(rc, 2)
        elif not ok:
            rc = max(rc, 1)
    return rc


_ARGS = None


def _work(path):
    return compare(_ARGS.ref, path, _ARGS)


if __name__ == "__main__":
    try:
        code = main()
    finally:
        for _d in _tmpdirs:
            shutil.rmtree(_d, ignore_errors=True)
    sys.exit(code)
