#!/usr/bin/python3
"""scripts/bench/timeit.py [--rm PATH] REPEAT CMD [ARGS...]: the carving benchmarks' timer.

Runs CMD REPEAT times (stdout and stderr to /dev/null) and prints one line for the run with
the best wall time: "WALL_S CPU_S MAXRSS_KIB MEDIAN_WALL_S", wall from a monotonic clock
around fork and wait (microseconds; GNU time's %e has 10 ms, too coarse for runs of 0.1 s),
CPU as user+sys and peak RSS from the child's own rusage (wait4). Exit 1, printing nothing,
when a run fails. --rm PATH: PATH (CMD's output file; - for none) is removed before each run, untimed, so
that no run pays for truncating the page cache of the one before.
"""
import os
import statistics
import sys
import time


def once(argv):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    args, rm = sys.argv[1:], None
    if args[0] == "--rm":
        rm, args = (None if args[1] == "-" else args[1]), args[2:]
    repeat, argv = int(args[0]), args[1:]
    runs = []
    for _ in range(max(repeat, 1)):
        if rm and os.path.exists(rm):
            os.unlink(rm)
        r = once(argv)
        if r is None:
            return 1
        runs.append(r)
    best = min(runs)
    print("%.4f %.4f %d %.4f" % (best[0], best[1], best[2], statistics.median(r[0] for r in runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
