#!/bin/bash
# must-fail.sh SRCROOT WORKDIR: prove that the layering rule is enforced. In a scratch copy of
# the sources, src/core/diag.c gets an include that points up a layer (guest.h); then both the
# include check (layers.py) and the build (the core layer's object library) must fail on it,
# and the check must name the offending line.
set -u
src=$1 w=$2
rm -rf "$w" && mkdir -p "$w" || exit 1
cp -r "$src/CMakeLists.txt" "$src/cmake" "$src/src" "$src/formats" "$src/cmd" "$src/include" "$w/" || exit 1
[ -d "$src/testdata" ] && cp -r "$src/testdata" "$w/"
sed -i '0,/^#include "diag.h"/s//#include "diag.h"\n#include "guest.h"/' "$w/src/core/diag.c"
grep -q '#include "guest.h"' "$w/src/core/diag.c" || { echo "FAIL: could not plant the include"; exit 1; }
fail=0
out=$(python3 "$(dirname "$0")/layers.py" "$w" 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'src/core/diag.c:.*"guest.h" from src/guest' <<<"$out"; then
	echo "PASS  layers.py refuses the upward include: $(grep diag.c <<<"$out")"
else
	echo "FAIL  layers.py exit $rc on an upward include:"; echo "$out"; fail=1
fi
cmake -S "$w" -B "$w/build" -DVMC_BUILD_TESTS=OFF >/dev/null 2>&1 || { echo "FAIL  scratch configure"; exit 1; }
if out=$(cmake --build "$w/build" --target vmc_l_core 2>&1); then
	echo "FAIL  the core layer compiled with an include of guest.h"; fail=1
elif grep -q 'guest.h: No such file' <<<"$out"; then
	echo "PASS  the build refuses it: $(grep -m1 'guest.h' <<<"$out")"
else
	echo "FAIL  the core layer failed for another reason:"; tail -20 <<<"$out"; fail=1
fi
rm -rf "$w"
exit $fail
