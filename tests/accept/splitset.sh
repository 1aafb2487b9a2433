#!/bin/bash
# tests/accept/splitset.sh VMCARVE - split sets written by vmcarve (--split N, --part K/N) on
# the genuine kexec kdump host-kdump.vmcore, judged by crash, libkdumpfile and vmcarve.
#
#  1. `convert --split 3 -z` and three `convert --part K/3 -z` runs: the parts are
#     byte-identical (cmp); each part holds a share of the stored pages (printed).
#  2. crash 8.0.2 opens the 3 parts together and prints for sys, log, bt -a, kmem -i and ps
#     exactly what it prints on the single-file `convert -z` output (DUMPFILE/DUMPFILES lines
#     dropped: they name the files).
#  3. libkdumpfile (tests/tools/lkset_cmp.py: kdump_open_fdset) reads every frame of the set
#     equal to the single file; `vmcarve manifest` of the set = the single file's, and
#     `convert` of the set into one file gives that manifest back.
#  4. `split --split 2` of the host: every guest's two parts give the manifest of the guest's
#     single-file output.
#  5. bad sets: a part given twice, and parts of two different dumps: one-line error naming
#     the file, exit 1.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_init splitset "$@"
acc_vmlinux

# 1
acc_convert "$WORK/one" -z
t0=$EPOCHREALTIME
if "$VMCARVE" convert -q "$INPUT" -o "$WORK/set" -z --split 3 > "$WORK/set.log" 2>&1; then
	acc_log "convert -z --split 3 in $(acc_since "$t0") s: $(stat -c %s "$WORK"/set.{1,2,3} | paste -sd' ') bytes"
else
	acc_fail "convert -z --split 3: $(tail -2 "$WORK/set.log")"
fi
for k in 1 2 3; do
	"$VMCARVE" convert -q "$INPUT" -o "$WORK/part" -z --part "$k/3" > "$WORK/part$k.log" 2>&1 ||
		acc_fail "convert --part $k/3: $(tail -2 "$WORK/part$k.log")"
	if cmp -s "$WORK/set.$k" "$WORK/part.$k"; then
		acc_pass "part $k of --split 3 = --part $k/3 ($(stat -c %s "$WORK/part.$k") bytes)"
	else
		acc_fail "part $k of --split 3 differs from --part $k/3"
	fi
done
rm -f "$WORK"/part.?

# 2
printf '%s\n' sys log 'bt -a' 'kmem -i' ps q > "$WORK/cmds"
timeout 600 crash -s -i "$WORK/cmds" "$VMLINUX" "$WORK/one" > "$WORK/crash.one" 2>&1 &
timeout 600 crash -s -i "$WORK/cmds" "$VMLINUX" "$WORK/set.1" "$WORK/set.2" "$WORK/set.3" > "$WORK/crash.set" 2>&1 &
wait
# the set's DUMPFILES line is followed by one line per further part
awk -v w="$WORK/" '/^ *DUMPFILES?: / { next } index($0, w) && $1 ~ /set\.[0-9]/ { next } { print }' "$WORK/crash.one" > "$WORK/one.norm"
awk -v w="$WORK/" '/^ *DUMPFILES?: / { next } $1 ~ /set\.[0-9]$/ { next } { print }' "$WORK/crash.set" > "$WORK/set.norm"
if ! grep -q '^ *RELEASE: ' "$WORK/crash.set"; then
	acc_fail "crash cannot open the 3-part set: $(grep -m3 -iE 'crash:|error|cannot' "$WORK/crash.set" | tr '\n' ' ')"
elif diff -u "$WORK/one.norm" "$WORK/set.norm" > "$WORK/crash.diff"; then
	acc_pass "crash on the 3-part set: sys/log/bt -a/kmem -i/ps identical to the single file ($(wc -l < "$WORK/set.norm") lines)"
else
	acc_fail "crash on the set differs from the single file:"
	head -40 "$WORK/crash.diff" | sed 's/^/      /'
fi

# 3
if out=$("$PY" "$ACC_ROOT/tests/tools/lkset_cmp.py" "$WORK/one" "$WORK"/set.{1,2,3}); then
	acc_pass "$out"
else
	acc_fail "$out"
fi
"$VMCARVE" manifest "$WORK/one" > "$WORK/one.m"
"$VMCARVE" manifest "$WORK"/set.{1,2,3} > "$WORK/set.m"
cmp -s "$WORK/one.m" "$WORK/set.m" && acc_pass "manifest of the set = the single file's ($(wc -l < "$WORK/one.m") frames)" ||
	acc_fail "manifest of the set differs from the single file's"
"$VMCARVE" convert -q "$WORK"/set.{1,2,3} -o "$WORK/back" -l && "$VMCARVE" manifest "$WORK/back" > "$WORK/back.m" &&
	cmp -s "$WORK/one.m" "$WORK/back.m" && acc_pass "the set converted back into one file: same manifest" ||
	acc_fail "the set converted back into one file differs"

# 5
"$VMCARVE" info "$WORK/set.1" "$WORK/set.1" "$WORK/set.2" > "$WORK/twice.log" 2>&1
rc=$?
[ $rc = 1 ] && [ "$(wc -l < "$WORK/twice.log")" = 1 ] && acc_pass "a part given twice: $(cat "$WORK/twice.log")" ||
	acc_fail "a part given twice: rc $rc: $(head -3 "$WORK/twice.log" | tr '\n' ' ')"
rm -f "$WORK/one" "$WORK/back"

# 4
if "$VMCARVE" split -q "$INPUT" -o "$WORK/guests" -l > "$WORK/g1.log" 2>&1 &&
	"$VMCARVE" split -q "$INPUT" -o "$WORK/gsets" -l --split 2 > "$WORK/g2.log" 2>&1; then
	n=0
	for f in "$WORK"/guests/*; do
		b=$(basename "$f")
		n=$((n + 1))
		if [ -s "$WORK/gsets/$b.1" ] && [ -s "$WORK/gsets/$b.2" ] &&
			cmp -s <("$VMCARVE" manifest "$f") <("$VMCARVE" manifest "$WORK/gsets/$b.1" "$WORK/gsets/$b.2"); then
			acc_pass "split --split 2: guest $b as a 2-part set, same manifest as its single file"
		else
			acc_fail "split --split 2: guest $b: parts missing or manifest differs"
		fi
	done
	[ $n -ge 1 ] || acc_fail "split wrote no guest"
	# parts of two different dumps (a host part and a guest part)
	g=$(ls "$WORK"/gsets/*.1 | head -1)
	"$VMCARVE" info "$WORK/set.1" "$g" > "$WORK/mixed.log" 2>&1
	rc=$?
	[ $rc = 1 ] && [ "$(wc -l < "$WORK/mixed.log")" = 1 ] && acc_pass "parts of two dumps: $(cat "$WORK/mixed.log")" ||
		acc_fail "parts of two dumps: rc $rc: $(head -3 "$WORK/mixed.log" | tr '\n' ' ')"
else
	acc_fail "split failed: $(tail -2 "$WORK/g1.log" "$WORK/g2.log" | tr '\n' ' ')"
fi
acc_finish
