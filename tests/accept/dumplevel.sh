#!/bin/bash
# tests/accept/dumplevel.sh VMCARVE
#
# `vmcarve convert -d N` keeps exactly the frames Debian's makedumpfile 1.7.2 keeps, on the
# genuine kexec kdump host-kdump.vmcore (a Debian 6.1 KVM host):
#  * for N in 1 2 4 8 16 31: `makedumpfile -l -d N` and `vmcarve convert -l -d N`; the two
#    files are read by dumplevel_cmp.py (its own kdump/ELF reader, not vmcarve's) and every
#    frame must be in the same state: left out, stored all-zero (makedumpfile's shared zero
#    page), or stored with data. The dump_level in vmcarve's sub-header must be N.
#  * ELF output at -d 31 and -d 1: makedumpfile's frame set minus its zero frames (ELF leaves
#    zero pages out, as makedumpfile's own ELF path does before writing).
#  * the same -d 31 from other input formats of the same dump: vmcarve's unfiltered kdump,
#    its flattened kdump, and makedumpfile's 2-part --split set.
#  * re-filtering: vmcarve -d 8 of vmcarve's -d 16 output equals makedumpfile -d 24 of the
#    input, and records dump level 24 (levels OR-ed, as makedumpfile does).
#  * guests: `split --dump-level 31` classifies each guest by its own kernel; its frames
#    equal makedumpfile -d 31's on the guest's unfiltered ELF (split --format elf).
#  * `vmcarve info -v --json` counts per class what makedumpfile -d 31 --show-stats reports
#    (showstats_cmp.py: equal, zero pages +1 for the frame 0x9f below, which is all zero).
#  * crash 8.0.2 on the -d 31 outputs (kdump lzo, kdump zstd, ELF, the first guest) prints
#    for sys, log, bt -a, kmem -i and ps what it prints on makedumpfile's -d 31 output.
# The one difference allowed, listed per run: the frame 0x9f, which the input's PT_LOAD
# holds only in part (it ends at 0x9fc00): makedumpfile 1.7.2 rounds the segment's end down
# and leaves the frame out, vmcarve keeps it with the rest zero-filled. Any other difference
# fails.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_init dumplevel "$@"
acc_vmlinux
CMP=("$PY" "$HERE/dumplevel_cmp.py" --partial-of "$INPUT")

mdf() { # OUT ARGS...: makedumpfile ARGS INPUT OUT
	local out=$1
	shift
	makedumpfile "$@" "$INPUT" "$out" > "$out.mlog" 2>&1 || acc_die "makedumpfile $* failed: $(grep -v '%\]' "$out.mlog" | tail -3 | tr '\n' ' ')"
}

cmp_level() { # WHAT REF OUT [--zero-out]
	local what=$1 ref=$2 out=$3
	shift 3
	if "${CMP[@]}" "$@" "$ref" "$out" > "$out.cmp" 2>&1; then
		acc_pass "$what: frames equal to makedumpfile's: $(head -1 "$out.cmp" | sed 's/^dumplevel_cmp: //')"
		grep '^  allowed' "$out.cmp" | sed 's/^/      /'
	else
		acc_fail "$what: frames differ from makedumpfile's:"
		head -25 "$out.cmp" | sed 's/^/      /'
	fi
}

level_of() { "$VMCARVE" info "$1" 2> /dev/null | awk '/^dump level:/ { print $3 }'; }

t0=$EPOCHREALTIME
for L in 1 2 4 8 16 24; do mdf "$WORK/md-$L" -l -d "$L"; done
mdf "$WORK/md-31" -l -d 31 --show-stats
acc_log "makedumpfile -l -d 1/2/4/8/16/24/31 in $(acc_since "$t0") s"

for L in 1 2 4 8 16 31; do
	acc_convert "$WORK/vc-$L" -l -d "$L" || continue
	cmp_level "kdump -l -d $L" "$WORK/md-$L" "$WORK/vc-$L"
	got=$(level_of "$WORK/vc-$L")
	[ "$got" = "$L" ] || acc_fail "kdump -d $L: vmcarve info says dump level '$got'"
	[ "$L" = 31 ] || rm -f "$WORK/vc-$L"
done
for L in 1 31; do
	acc_convert "$WORK/vc-$L.elf" --format elf -d "$L" && cmp_level "ELF -d $L" "$WORK/md-$L" "$WORK/vc-$L.elf" --zero-out
done
acc_convert "$WORK/vc-31.zst" -z -d 31 && cmp_level "kdump -z -d 31" "$WORK/md-31" "$WORK/vc-31.zst"

# info -v: the per-class counts against makedumpfile --show-stats
if "$VMCARVE" info -v --json "$INPUT" > "$WORK/info-v.json" 2> "$WORK/info-v.err" &&
	"$PY" "$HERE/showstats_cmp.py" "$WORK/md-31.mlog" "$WORK/info-v.json" "$INPUT" > "$WORK/showstats.cmp" 2>&1; then
	acc_pass "info -v counts = makedumpfile --show-stats: $(head -1 "$WORK/showstats.cmp" | sed 's/^showstats_cmp: //')"
	grep '^  allowed' "$WORK/showstats.cmp" | sed 's/^/      /'
else
	acc_fail "info -v counts differ from makedumpfile --show-stats: $(cat "$WORK/info-v.err")"
	sed 's/^/      /' "$WORK/showstats.cmp"
fi

# other input formats of the same dump
acc_convert "$WORK/in.kdump" -l && CONV_IN=$WORK/in.kdump acc_convert "$WORK/from-kdump" -l -d 31 &&
	cmp_level "kdump input -d 31" "$WORK/md-31" "$WORK/from-kdump"
acc_convert "$WORK/in.flat" --format flat -l && CONV_IN=$WORK/in.flat acc_convert "$WORK/from-flat" -l -d 31 &&
	cmp_level "flattened input -d 31" "$WORK/md-31" "$WORK/from-flat"
rm -f "$WORK/in.kdump" "$WORK/in.flat" "$WORK/from-kdump" "$WORK/from-flat"
if makedumpfile --split -l -d 0 "$INPUT" "$WORK/split.1" "$WORK/split.2" > "$WORK/split.mlog" 2>&1; then
	acc_convert_parts "$WORK/from-split" "$WORK/split.1" "$WORK/split.2" -- -l -d 31 &&
		cmp_level "2-part split set input -d 31" "$WORK/md-31" "$WORK/from-split"
	rm -f "$WORK/split.1" "$WORK/split.2" "$WORK/from-split"
else
	acc_fail "makedumpfile --split failed: $(tail -2 "$WORK/split.mlog" | tr '\n' ' ')"
fi

# re-filtering an already filtered kdump: levels OR-ed
acc_convert "$WORK/vc-16" -l -d 16 && CONV_IN=$WORK/vc-16 acc_convert "$WORK/vc-16-8" -l -d 8 && {
	cmp_level "-d 8 of the -d 16 output" "$WORK/md-24" "$WORK/vc-16-8"
	got=$(level_of "$WORK/vc-16-8")
	[ "$got" = 24 ] && acc_pass "-d 8 of a -d 16 dump records dump level 24" ||
		acc_fail "-d 8 of a -d 16 dump records dump level '$got', not 24"
}

# guests filtered by their own kernel: split --dump-level 31 against makedumpfile -d 31 of
# each guest's unfiltered ELF (makedumpfile reads vmcarve's ELF output; no other oracle
# classifies a guest inside a host dump)
gn=0
if "$VMCARVE" split -q --format elf "$INPUT" -o "$WORK/guests0" > "$WORK/split0.log" 2>&1 &&
	"$VMCARVE" split -q -l --dump-level 31 "$INPUT" -o "$WORK/guests31" > "$WORK/split31.log" 2>&1; then
	for e in "$WORK"/guests0/*.elf; do
		g=$(basename "$e" .elf)
		makedumpfile -l -d 31 "$e" "$WORK/md-$g" > "$WORK/md-$g.mlog" 2>&1 || { acc_fail "makedumpfile -d 31 of guest $g failed"; continue; }
		cmp_level "guest $g split --dump-level 31" "$WORK/md-$g" "$WORK/guests31/$g.kdump"
		gn=$((gn + 1))
	done
	[ "$gn" -gt 0 ] || acc_fail "split wrote no guest"
else
	acc_fail "vmcarve split failed: $(tail -2 "$WORK/split0.log" "$WORK/split31.log" | tr '\n' ' ')"
fi
rm -rf "$WORK/guests0"

# crash on the -d 31 outputs, against crash on makedumpfile's
printf '%s\n' sys log 'bt -a' 'kmem -i' ps q > "$WORK/cmds"
names=(md-31 vc-31 vc-31.zst vc-31.elf)
: > "$WORK/jobs"
# the first guest: crash on vmcarve's --dump-level 31 output against crash on makedumpfile's
g1=$(find "$WORK/guests31" -name '*.kdump' 2> /dev/null | sort | head -1)
if [ -n "$g1" ]; then
	g1=$(basename "$g1" .kdump)
	cp "$WORK/guests31/$g1.kdump" "$WORK/vc-$g1"
	acc_crash_job "$WORK/cmds" "$WORK/md-$g1" "$WORK/md-$g1.crash" >> "$WORK/jobs"
	names+=("vc-$g1")
fi
for n in "${names[@]}"; do
	[ -s "$WORK/$n" ] && acc_crash_job "$WORK/cmds" "$WORK/$n" "$WORK/$n.crash" >> "$WORK/jobs"
done
t0=$EPOCHREALTIME
acc_parallel "$WORK/jobs"
acc_log "crash sessions in $(acc_since "$t0") s"
normalise() { # DUMP
	awk -v dump="$1" '/^ *DUMPFILE: / { next }
		{ out = ""; s = $0
		  while ((i = index(s, dump)) > 0) { out = out substr(s, 1, i - 1) "<DUMP>"; s = substr(s, i + length(dump)) }
		  print out s }' "$1.crash"
}
[ "$(cat "$WORK/md-31.crash.rc" 2> /dev/null)" = 0 ] && grep -q '^ *RELEASE: ' "$WORK/md-31.crash" ||
	acc_die "crash on makedumpfile's -d 31 output failed: $(grep -m3 -iE 'crash:|error' "$WORK/md-31.crash" | tr '\n' ' ')"
normalise "$WORK/md-31" > "$WORK/md-31.norm"
[ -n "$g1" ] && normalise "$WORK/md-$g1" > "$WORK/md-$g1.norm"
for n in "${names[@]:1}"; do
	[ -s "$WORK/$n" ] || continue
	ref=md-31
	[ "$n" = "vc-$g1" ] && ref=md-$g1
	rc=$(cat "$WORK/$n.crash.rc" 2> /dev/null || echo '?')
	if [ "$rc" != 0 ] || ! grep -q '^ *RELEASE: ' "$WORK/$n.crash"; then
		acc_fail "crash on $n: rc $rc: $(grep -m3 -iE 'crash:|error|cannot' "$WORK/$n.crash" | tr '\n' ' ')"
	elif normalise "$WORK/$n" | diff -u "$WORK/$ref.norm" - > "$WORK/$n.diff"; then
		acc_pass "crash on $n: sys/log/bt -a/kmem -i/ps identical to crash on makedumpfile -d 31's ($(wc -l < "$WORK/$ref.norm") lines)"
	else
		acc_fail "crash on $n differs from crash on makedumpfile -d 31's ($ref):"
		head -40 "$WORK/$n.diff" | sed 's/^/      /'
	fi
done
acc_finish
