#!/usr/bin/python3
"""layers.py [ROOT]: check the layering rule of docs/ARCHITECTURE.md on the source tree.

Each folder is a layer; a file may include (#include "x.h") only headers of its own folder
and of the folders below it. Bottom to top:

    src/core < src/dump < formats
                        < src/mem < src/linux < src/guest < src/xen, src/kvm
    src/ (the top: registry, open, pipeline, the public API in api_*.c) sees every layer;
    include/ (the public header, vmcarve.h) is below them all and sees nothing (src/core takes
    the status codes and struct vmc_diag from it); cmd/ (the CLI) sees only include/ and itself.

The build enforces the same rule (each layer's library exports only its folder); this
check names every offending line, also for headers no build compiles alone. Exit 0 clean,
1 with one line per violation, 2 on a usage error.
"""
import os
import re
import sys

BELOW = {
    "include": [],
    "src/core": ["include"],
    "src/dump": ["include", "src/core"],
    "formats": ["include", "src/core", "src/dump"],
    "src/mem": ["include", "src/core", "src/dump"],
    "src/linux": ["include", "src/core", "src/dump", "src/mem"],
    "src/guest": ["include", "src/core", "src/dump", "src/mem", "src/linux"],
    "src/xen": ["include", "src/core", "src/dump", "src/mem", "src/linux", "src/guest"],
    "src/kvm": ["include", "src/core", "src/dump", "src/mem", "src/linux", "src/guest"],
    "src": ["include", "src/core", "src/dump", "formats", "src/mem", "src/linux", "src/guest", "src/xen", "src/kvm"],
    "cmd": ["include"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../.."))
    where = {}  # header name -> folder
    for layer in BELOW:
        d = os.path.join(root, layer)
        if not os.path.isdir(d):
            print(f"layers: {d}: no such folder", file=sys.stderr)
            return 2
        for f in os.listdir(d):
            if f.endswith(".h"):
                if f in where:
                    print(f"layers: {f} is in both {where[f]} and {layer}: header names must be unique")
                    return 1
                where[f] = layer
    bad = 0
    nfiles = 0
    for layer, below in BELOW.items():
        d = os.path.join(root, layer)
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            nfiles += 1
            with open(os.path.join(d, f), errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    h = m.group(1)
                    at = where.get(h)
                    if at is None:
                        print(f"{layer}/{f}:{n}: includes \"{h}\", which is in no layer folder")
                        bad += 1
                    elif at != layer and at not in below:
                        print(f"{layer}/{f}:{n}: includes \"{h}\" from {at}, which is not below {layer}")
                        bad += 1
    print(f"layers: {nfiles} files, {bad} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
