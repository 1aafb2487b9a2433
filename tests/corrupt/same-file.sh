#!/bin/bash
# same-file.sh: `vmcarve convert` refuses an output that is one of its inputs (exit 2, one
# stderr line, the input untouched): the same path, a symlink to it, a hard link, and the
# second part of a split set.
#   same-file.sh VMCARVE MKFIXTURE WORKDIR
set -u
V=$1 G=$2 W=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
nfail=0
rm -rf "$W" && mkdir -p "$W" || exit 1
"$G" "$root/testdata/specs/kdump-v6.spec" "$W/k" > /dev/null &&
	"$G" "$root/testdata/specs/split3.spec" "$W/s" > /dev/null || { echo "mkfixture failed"; exit 1; }
ln -s "$W/k" "$W/k.symlink"
ln "$W/k" "$W/k.hardlink"
sum0=$(cat "$W/k" "$W"/s.? | md5sum)

refused() { # refused WHAT OUT IN...
	local what=$1 out=$2 rc n; shift 2
	for fmt in kdump elf; do
		"$V" convert "$@" -o "$out" --format $fmt -q 2> "$W/err"
		rc=$?
		n=$(wc -l < "$W/err")
		if [ $rc = 2 ] && [ "$n" = 1 ] && grep -q 'the output is an input' "$W/err"; then
			echo "ok: $what ($fmt): $(cat "$W/err")"
		else
			echo "FAIL: $what ($fmt): exit $rc, $n stderr lines: $(head -2 "$W/err" | tr '\n' '|')"
			nfail=$((nfail + 1))
		fi
	done
}
refused "same path" "$W/k" "$W/k"
refused "symlink to the input" "$W/k.symlink" "$W/k"
refused "hard link to the input" "$W/k.hardlink" "$W/k"
refused "second part of a split set" "$W/s.2" "$W/s.1" "$W/s.2" "$W/s.3"
[ "$(cat "$W/k" "$W"/s.? | md5sum)" = "$sum0" ] && echo "ok: inputs unchanged" ||
	{ echo "FAIL: an input was modified"; nfail=$((nfail + 1)); }
ls -A "$W" | grep -q vmcarve- && { echo "FAIL: temporary file left: $(ls -A "$W" | grep vmcarve-)"; nfail=$((nfail + 1)); }
# the check can fail: a different output path converts
"$V" convert "$W/k" -o "$W/other" -q && [ -s "$W/other" ] && echo "ok: a different output path converts" ||
	{ echo "FAIL: converting to another path failed"; nfail=$((nfail + 1)); }
echo "same-file: $nfail failed"
[ $nfail = 0 ] && rm -rf "$W"
[ $nfail = 0 ]
