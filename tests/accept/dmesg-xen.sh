#!/bin/bash
# tests/accept/dmesg-xen.sh VMCARVE
#
# `vmcarve dmesg` on the Xen bed's genuine Xen kdump (xen-kdump.vmcore), whose domains are PV
# (machine frames: the guest kernel's memory is walked from init_top_pgt's machine frame,
# found through the p2m tree of the domain's CRASH_INFO note):
#  * --domain 0 equals crash 8.0.2's `log` on that file (crash opens dom0 of a Xen kdump in
#    place), byte for byte once crash's own lines before the log ("WARNING: active task ...")
#    are dropped;
#  * the bed's recorded boot log of dom0 (info/dom0-dmesg.txt, `dmesg` in dom0 before the
#    crash) is a prefix of it;
#  * --domain all: every domain of truth/domains.txt has a section, and each domU's holds its
#    marker program's boot line (vmcarve_label=NAME);
#  * `vmcarve list --json`: every domain's release is dom0's `uname -r` (info/dom0-uname.txt).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
ACC_NAME=dmesg-xen
acc_vmcarve "$1"
BED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen) || acc_skip "the Xen test bed's outputs are not there (scripts/testbed-outputs xen builds them)"
VMLINUX=$("$ACC_ROOT/scripts/testbed-outputs" --no-build --vmlinux xen) || acc_skip "no vmlinux for the Xen bed"
acc_workdir
HOST=$BED/xen-kdump.vmcore
[ -s "$HOST" ] || acc_die "$HOST is not there"

printf 'log\nquit\n' > "$WORK/crash.cmds"
timeout 500 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$HOST" > "$WORK/crash.out" 2>&1 &
t0=$EPOCHREALTIME
"$VMCARVE" dmesg "$HOST" --domain 0 -o "$WORK/dom0.txt" 2> "$WORK/dom0.err" || acc_fail "vmcarve dmesg --domain 0: rc $?: $(tail -2 "$WORK/dom0.err")"
acc_log "vmcarve dmesg $(basename "$HOST") --domain 0 in $(acc_since "$t0") s: $(wc -l < "$WORK/dom0.txt") lines"
"$VMCARVE" dmesg "$HOST" --domain all -o "$WORK/all.txt" 2> "$WORK/all.err" || acc_fail "vmcarve dmesg --domain all: rc $?: $(tail -2 "$WORK/all.err")"
"$VMCARVE" list --json "$HOST" > "$WORK/list.json" 2> /dev/null || acc_fail "vmcarve list --json failed"
wait

awk 'f || /^\[/ { f = 1; print }' "$WORK/crash.out" > "$WORK/crash.log"
if [ -s "$WORK/dom0.txt" ] && cmp -s "$WORK/dom0.txt" "$WORK/crash.log"; then
	acc_pass "--domain 0 = crash 'log' on $(basename "$HOST") byte for byte ($(wc -l < "$WORK/dom0.txt") lines; crash's lines before the log dropped: $(awk '/^\[/{exit} {print}' "$WORK/crash.out" | grep -c .))"
else
	acc_fail "--domain 0 differs from crash 'log':"
	diff "$WORK/dom0.txt" "$WORK/crash.log" | head -8 | sed 's/^/      /'
fi
n=$(wc -l < "$BED/info/dom0-dmesg.txt")
if [ "$n" -gt 0 ] && head -n "$n" "$WORK/dom0.txt" | cmp -s - "$BED/info/dom0-dmesg.txt"; then
	acc_pass "the recorded boot log info/dom0-dmesg.txt ($n lines) is a prefix of --domain 0"
else
	acc_fail "info/dom0-dmesg.txt is not a prefix of --domain 0"
fi

rel=$(head -1 "$BED/info/dom0-uname.txt" | tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+')
while read -r line; do
	name=$(sed -n 's/.*\bname=\([^ ]*\).*/\1/p' <<< "$line")
	domid=$(sed -n 's/.*\bdomid=\([^ ]*\).*/\1/p' <<< "$line")
	role=$(sed -n 's/.*\brole=\([^ ]*\).*/\1/p' <<< "$line")
	sec=$(awk -v id="$domid" '/^=== guest / { f = ($3 == id); next } f' "$WORK/all.txt")
	if [ -z "$sec" ]; then
		acc_fail "--domain all: no log for domain $domid ($name)"
	elif [ "$role" = xen-domU ] && ! grep -q "vmcarve_label=$name" <<< "$sec"; then
		acc_fail "--domain all: domain $domid ($name): no marker boot line vmcarve_label=$name"
	else
		acc_pass "--domain all: domain $domid ($name): $(wc -l <<< "$sec") lines$([ "$role" = xen-domU ] && echo ", marker line present")"
	fi
	grel=$("$PY" -c 'import json,sys; print(*[g["release"] for g in json.load(open(sys.argv[1]))["guests"] if g["id"]==sys.argv[2]])' "$WORK/list.json" "$domid")
	[ -n "$rel" ] && [ "$grel" = "$rel" ] && acc_pass "list: domain $domid release $grel = dom0's uname" ||
		acc_fail "list: domain $domid release '$grel', dom0's uname says '$rel'"
done < <(grep -E 'role=xen-(dom0|domU)' "$BED/truth/domains.txt")
acc_finish
