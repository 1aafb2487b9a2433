#!/bin/bash
# tests/accept/memlimit.sh VMCARVE
#
# Running where dumps are taken (README "Memory"): a kdump kernel has little memory
# (crashkernel=256M) and /proc/vmcore may not map like a file. On the beds' real dumps
# (KVM: host-kdump.vmcore, host-qemu.elf; Xen: xen-kdump.vmcore, or host-qemu.elf when the
# cache has no kdump), `convert` and `split` run under a 128 MiB address-space limit
# (prlimit --as: every mapping, heap arena and thread stack counts; the input cannot be
# mapped, so it is read with pread) and read through a pipe (`cat DUMP | vmcarve ... -`, the
# read()-only path: stdin is spooled to a temporary file), and must give the same bytes
# (cmp) as an unlimited run from the file. Also: --threads 16 under the limit (worker
# stacks), and the limit is shown to bite (a 24 MiB limit must fail cleanly, exit 1).
# Peak RSS of each limited run is logged. ASan cannot run under --as: use a release build.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_init memlimit "$@"
acc_need prlimit util-linux
LIMIT=$((128 << 20))
export TMPDIR=$WORK # the stdin spool goes to the scratch directory

# limited TAG CMD...: run CMD under the limit; logs wall time and peak RSS; returns CMD's rc
limited() {
	local tag=$1 rc
	shift
	/usr/bin/time -f "%e %M" -o "$WORK/$tag.time" prlimit --as=$LIMIT "$@" > "$WORK/$tag.log" 2>&1
	rc=$?
	acc_info "$tag: rc $rc, $(awk '{ printf "%s s, peak RSS %.0f MiB", $1, $2 / 1024 }' "$WORK/$tag.time") under --as=128M"
	return $rc
}

# same REF OUT WHAT: byte-identical outputs
same() {
	if [ ! -s "$2" ]; then
		acc_fail "$3: no output $(basename "$2"): $(tail -2 "$WORK/$3.log" 2> /dev/null | tr '\n' ' ')"
	elif cmp -s "$1" "$2"; then
		acc_pass "$3: $(basename "$2") identical to the unlimited run ($(stat -c %s "$2") bytes)"
	else
		acc_fail "$3: $(basename "$2") differs from the unlimited run: $(cmp "$1" "$2" | head -1)"
	fi
	rm -f "$2"
}

check_convert() { # TAG INPUT
	local tag=$1 in=$2
	"$VMCARVE" convert -q "$in" -o "$WORK/$tag.ref" || { acc_fail "$tag: unlimited convert failed"; return; }
	limited "$tag-file" "$VMCARVE" convert -q "$in" -o "$WORK/$tag.file"
	same "$WORK/$tag.ref" "$WORK/$tag.file" "$tag-file"
	# shellcheck disable=SC2002  # the point is a pipe: a read()-only source
	cat "$in" | limited "$tag-pipe" "$VMCARVE" convert -q - -o "$WORK/$tag.pipe"
	same "$WORK/$tag.ref" "$WORK/$tag.pipe" "$tag-pipe"
	rm -f "$WORK/$tag.ref"
}

check_split() { # TAG INPUT
	local tag=$1 in=$2 f n=0
	"$VMCARVE" split -q "$in" -o "$WORK/$tag.ref" || { acc_fail "$tag: unlimited split failed"; return; }
	limited "$tag-file" "$VMCARVE" split -q "$in" -o "$WORK/$tag.file"
	# shellcheck disable=SC2002
	cat "$in" | limited "$tag-pipe" "$VMCARVE" split -q - -o "$WORK/$tag.pipe"
	for f in "$WORK/$tag.ref"/*; do
		n=$((n + 1))
		same "$f" "$WORK/$tag.file/$(basename "$f")" "$tag-file"
		same "$f" "$WORK/$tag.pipe/$(basename "$f")" "$tag-pipe"
	done
	[ $n -gt 0 ] || acc_fail "$tag: the unlimited split wrote nothing"
	rm -rf "$WORK/$tag.ref" "$WORK/$tag.file" "$WORK/$tag.pipe"
}

XBED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen 2> /dev/null) || XBED=
XIN=
if [ -n "$XBED" ]; then
	XIN=$XBED/xen-kdump.vmcore
	[ -s "$XIN" ] || XIN=$XBED/host-qemu.elf
	[ -s "$XIN" ] || XIN=
fi
[ -n "$XIN" ] || acc_skip "the Xen test bed's outputs are not there (scripts/testbed-outputs xen builds them)"

# the limit bites: far too little address space is a clean failure, not a crash or an output
prlimit --as=$((24 << 20)) "$VMCARVE" convert -q "$INPUT" -o "$WORK/tiny.kdump" > "$WORK/tiny.log" 2>&1
rc=$?
if [ $rc = 1 ] && [ ! -e "$WORK/tiny.kdump" ] && [ "$(wc -l < "$WORK/tiny.log")" = 1 ]; then
	acc_pass "under --as=24M: exit 1, no output, one line: $(cat "$WORK/tiny.log")"
else
	acc_fail "under --as=24M: exit $rc, expected 1 with one line and no output: $(head -3 "$WORK/tiny.log" | tr '\n' ' ')"
fi
rm -f "$WORK/tiny.kdump"

check_convert kvm-vmcore "$INPUT"
check_convert kvm-qemu "$BED/host-qemu.elf"
check_convert "xen-$(basename "$XIN" | cut -d. -f1)" "$XIN"
check_split kvm-split "$INPUT"
check_split xen-split "$XIN"

# sixteen workers (compression and read-ahead) under the limit: their stacks are small
"$VMCARVE" convert -q -z "$INPUT" -o "$WORK/t16.ref"
limited threads16 "$VMCARVE" convert -q -z --threads 16 "$INPUT" -o "$WORK/t16.out"
same "$WORK/t16.ref" "$WORK/t16.out" threads16
rm -f "$WORK/t16.ref"
acc_finish
