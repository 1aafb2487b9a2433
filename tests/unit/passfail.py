"""passfail.py: the PASS/FAIL lines of the unit tier's Python checks, and how many failed."""
fails = 0


def check(ok, what):
    global fails
    print(("PASS  " if ok else "FAIL  ") + what)
    if not ok:
        fails += 1
