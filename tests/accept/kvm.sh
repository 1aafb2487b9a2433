#!/bin/bash
# tests/accept/kvm.sh VMCARVE vmcore|qemu|d31|nosym|keep31
#
# KVM carving on the test bed's real host dumps (host-kdump.vmcore: the genuine kexec kdump;
# qemu: host-qemu.elf, the whole-L1 QEMU dump). For each L2 guest (guest1, guest2):
#  * `vmcarve list --json` finds it (matched by VMM pid, or by size without KVM symbols);
#  * extract as ELF and as kdump-compressed (zlib);
#  * verify-markers: 100 % of the guest's marker pages at the right gfn with the right bytes;
#  * compare-ref.py: the carved guest equals the VMM's own dump (l1out/guestN.elf) page for
#    page. Frames of the BIOS ROM (0xfffc0-0xfffff, a separate VMM RAM block) may only be
#    missing when the host-kernel memslots were not available (method says "slots inferred");
#  * crash 8.0.2 opens both outputs: sys, log | tail, bt -a, kmem -i must work;
#  * the NT_PRSTATUS registers equal those in the VMM's dump (kvm-regs.py), when the host
#    kernel's kvm_vcpu (GPRs) was available;
#  * drgn reads init_task.comm from the ELF output and unwinds the vCPU's stack from the notes.
# d31: host-kdump.makedumpfile-d31.kdump (user pages, i.e. all guest RAM, excluded): `list`
#  must report PRESENT 0 for every guest and warn; extract must warn that pages are excluded
#  and its output must hold no guest RAM page (never a complete-looking dump).
# keep31: `vmcarve convert -l -d 31 --keep-guests host-kdump.vmcore` first, then everything
#  of vmcore on that filtered file (markers 100 %, page for page against the VMM's dump,
#  registers, crash, drgn); its size is reported next to makedumpfile -d 31's and the
#  unfiltered conversion's.
# nosym: host-kdump.vmcore with --host-debuginfo pointing at an empty directory, so the
#  host-kernel route has nothing to read and the symbol-free route (the VMM found through its
#  page tables, slots inferred) must carve: markers, page-for-page (only the BIOS ROM block may
#  be missing: without memslots it is invisible), drgn; no crash sessions.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
"$PY" -c 'import drgn' 2> /dev/null || acc_skip "$PY cannot import drgn (apt-get install python3-drgn)"
MODE=${2:-vmcore}
EXTRA=()
acc_init "kvm-$MODE" "$1"
acc_vmlinux
acc_shared
VERIFY=$SHARED/testbed/common/verify-markers
COMPARE=$SHARED/testbed/common/compare-ref.py
case $MODE in
vmcore) HOST=$BED/host-kdump.vmcore ;;
nosym)
	HOST=$BED/host-kdump.vmcore
	mkdir -p "$WORK/empty-debuginfo"
	EXTRA=(--host-debuginfo "$WORK/empty-debuginfo") ;;
qemu) HOST=$BED/host-qemu.elf ;;
d31) HOST=$BED/host-kdump.makedumpfile-d31.kdump ;;
keep31)
	HOST=$WORK/host-d31-keep-guests.kdump
	t0=$EPOCHREALTIME
	"$VMCARVE" convert -l -d 31 --keep-guests "$BED/host-kdump.vmcore" -o "$HOST" > "$WORK/keep.log" 2>&1 ||
		acc_die "convert -d 31 --keep-guests: $(tail -2 "$WORK/keep.log")"
	"$VMCARVE" convert -q -l "$BED/host-kdump.vmcore" -o "$WORK/host-d0.kdump" || acc_die "convert -l failed"
	acc_pass "convert -l -d 31 --keep-guests in $(acc_since "$t0") s: $(du -k "$HOST" | cut -f1) KiB; makedumpfile -d 31: $(du -k "$BED/host-kdump.makedumpfile-d31.kdump" | cut -f1) KiB; vmcarve -l unfiltered: $(du -k "$WORK/host-d0.kdump" | cut -f1) KiB; $(grep -- '--keep-guests kept' "$WORK/keep.log" | sed 's/^vmcarve: [^:]*: //')"
	rm -f "$WORK/host-d0.kdump" ;;
*) echo "usage: $0 VMCARVE vmcore|qemu|d31|nosym|keep31"; exit 2 ;;
esac
[ -s "$HOST" ] || acc_die "$HOST is not there"

t0=$EPOCHREALTIME
"$VMCARVE" list --json "${EXTRA[@]}" "$HOST" > "$WORK/list.json" 2> "$WORK/list.err" || acc_die "vmcarve list $(basename "$HOST"): rc $?: $(tail -2 "$WORK/list.err")"
"$VMCARVE" list "${EXTRA[@]}" "$HOST" > "$WORK/list.txt" 2>> "$WORK/list.err"
acc_pass "vmcarve list $(basename "$HOST") in $(acc_since "$t0") s:"
sed 's/^/      /' "$WORK/list.txt"

if [ "$MODE" = d31 ]; then
	for name in guest1 guest2; do
		id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/list.json" "$BED/truth/domains.txt" $name) || { acc_fail "list does not show $name"; continue; }
		present=$("$PY" -c 'import json,sys; g=[g for g in json.load(open(sys.argv[1]))["guests"] if g["id"]==sys.argv[2]][0]; print(g["pages_present"], g["pages_mapped"], g["pages_expected"])' "$WORK/list.json" "$id")
		read -r p m e <<< "$present"
		if [ "$p" = 0 ] && [ "$m" -gt 0 ] && grep -q "guest $id: only 0 of" "$WORK/list.err"; then
			acc_pass "$name (id $id): list says up front: present $p of mapped $m (expected $e), with a warning"
		else
			acc_fail "$name (id $id): list says present=$p mapped=$m expected=$e; warning: $(grep "guest $id" "$WORK/list.err" | head -1)"
		fi
		"$VMCARVE" extract "$HOST" --domain "$id" -o "$WORK/$name.kdump" -c > "$WORK/$name.log" 2>&1
		rc=$?
		stored=$("$VMCARVE" info "$WORK/$name.kdump" 2> /dev/null | awk '/^stored:/ {print $2}')
		if grep -q "only 0 of" "$WORK/$name.log" && [ "$stored" = 0 ]; then
			acc_pass "$name: extract (rc $rc) warns '$(grep -o 'only 0 of [0-9]* mapped guest pages' "$WORK/$name.log")' and stores $stored pages"
		else
			acc_fail "$name: extract rc $rc, stored=$stored, no warning: $(tail -2 "$WORK/$name.log")"
		fi
		res=$("$VERIFY" -m "$BED/truth/truth-$name.txt" "$WORK/$name.kdump" 2>&1 | tail -1)
		case $res in *"ok=0 "*) acc_pass "$name: markers: $res (none claimed present)" ;; *) acc_fail "$name: markers: $res" ;; esac
	done
	acc_finish
fi

check_guest() { # NAME
	local name=$1 id res miss
	id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/list.json" "$BED/truth/domains.txt" "$name") || { acc_fail "list does not show $name"; return; }
	local method
	method=$("$PY" -c 'import json,sys; print([g for g in json.load(open(sys.argv[1]))["guests"] if g["id"]==sys.argv[2]][0]["method"])' "$WORK/list.json" "$id")
	for fmt in elf kdump; do
		local out=$WORK/$name.$fmt args=(-c)
		[ $fmt = elf ] && args=(--format elf)
		t0=$EPOCHREALTIME
		if ! "$VMCARVE" extract "${EXTRA[@]}" "$HOST" --domain "$id" -o "$out" "${args[@]}" > "$out.log" 2>&1; then
			acc_fail "$name: extract --domain $id ${args[*]}: $(tail -2 "$out.log")"
			continue
		fi
		acc_log "$name (id $id, $method): extract ${args[*]} in $(acc_since "$t0") s: $(tail -1 "$out.log")"
		res=$("$VERIFY" -m "$BED/truth/truth-$name.txt" "$out" 2>&1 | tail -1)
		case $res in *"-> PASS"*) acc_pass "$name.$fmt markers: $res" ;; *) acc_fail "$name.$fmt markers: $res" ;; esac
	done
	# page for page against the VMM's own dump
	"$PY" "$COMPARE" --allow-missing --max-report 100000 "$BED/l1out/$name.elf" "$WORK/$name.elf" > "$WORK/$name.cmp" 2>&1
	res=$(grep '^compare' "$WORK/$name.cmp")
	miss=$(grep -c 'missing: ref frame' "$WORK/$name.cmp")
	local rom_only=1
	grep 'missing: ref frame' "$WORK/$name.cmp" | awk '{print $4}' | while read -r f; do
		[ $((f)) -ge $((0xfffc0)) ] && [ $((f)) -le $((0xfffff)) ] || exit 1
	done || rom_only=0
	case $res in
	*"different=0 missing-in-dump=0 "*) acc_pass "$name vs l1out/$name.elf: $res" ;;
	*"different=0 "*)
		if [ $rom_only = 1 ] && [[ $method == *"slots inferred"* ]]; then
			acc_pass "$name vs l1out/$name.elf: $res (the $miss missing frames are the BIOS ROM block 0xfffc0-0xfffff: no KVM memslots without the host-kernel route)"
		else
			acc_fail "$name vs l1out/$name.elf: $res"
		fi ;;
	*) acc_fail "$name vs l1out/$name.elf: $res"; head -20 "$WORK/$name.cmp" | sed 's/^/      /' ;;
	esac
	# the vCPU registers (VMCB + kvm_vcpu) against those the VMM's own dump recorded
	if [[ $method == *"slots inferred"* ]]; then
		acc_info "$name: registers not compared (no kvm_vcpu without the host-kernel route: only rax/rsp/rip from the VMCB)"
	elif res=$("$PY" "$HERE/kvm-regs.py" "$WORK/$name.elf" "$BED/l1out/$name.elf" 2>&1); then
		acc_pass "$name: $res"
	else
		acc_fail "$name: $res"
	fi
	timeout 300 "$PY" "$HERE/drgn-probe.py" "$WORK/$name.elf" "$VMLINUX" > "$WORK/$name.drgn" 2>&1
	# init_task.comm, and a stack unwound from the NT_PRSTATUS registers (a symbol, not 0x0)
	if grep -q '^init_task.comm=swapper/0$' "$WORK/$name.drgn" && grep -Eq '^crashed_thread=pid [0-9]+: [a-z_]' "$WORK/$name.drgn"; then
		acc_pass "drgn on $name.elf: $(grep -E '^(UTS_RELEASE|init_task.comm|crashed_thread)=' "$WORK/$name.drgn" | paste -sd' ')"
	else
		acc_fail "drgn on $name.elf: $(head -3 "$WORK/$name.drgn" | tr '\n' ' ')"
	fi
}

# the marker program's own log line, wherever it is: a busy emulated guest may log clocksource
# watchdog lines after it, so the last lines of the log cannot be relied on (and crash 8.0.2
# refuses a second pipe while the first one's reader still runs: one piped command only)
printf 'sys\nlog | grep tm_label= | tail -2\nbt -a\nkmem -i\nquit\n' > "$WORK/crash.cmds"
check_crash() { # FILE
	local f=$1 out=$1.crash
	timeout 400 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$f" > "$out" 2>&1
	echo $? > "$out.rc"
}

for name in guest1 guest2; do
	check_guest $name
done
if [ "$MODE" = nosym ]; then
	grep -q 'slots inferred' "$WORK/list.txt" || acc_fail "nosym: the symbol-free route was not used: $(grep KVM- "$WORK/list.txt" | head -1)"
	acc_finish
fi
pids=()
for f in "$WORK"/guest*.elf "$WORK"/guest*.kdump; do
	[ -s "$f" ] || continue
	check_crash "$f" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
for f in "$WORK"/guest*.elf "$WORK"/guest*.kdump; do
	[ -s "$f" ] || continue
	out=$f.crash
	b=$(basename "$f")
	if [ "$(cat "$out.rc")" = 0 ] && grep -q 'RELEASE: 6.1.0-56-amd64' "$out" && grep -q 'PID: 0 .*COMMAND: "swapper/0"' "$out" &&
		grep -q 'TOTAL MEM' "$out" && grep -q 'tm_label=guest' "$out" && grep -q '#0 \[' "$out" && ! grep -qi 'invalid\|cannot\|error' "$out"; then
		acc_pass "crash $b: sys/log/bt -a/kmem -i: $(grep -E 'MEMORY:|TASKS:' "$out" | tr -s ' ' | paste -sd' '); $(grep -m1 'exception RIP' "$out" | tr -s ' '); $(grep -m1 'TOTAL MEM' "$out" | tr -s ' ')"
	else
		acc_fail "crash $b (rc $(cat "$out.rc")):"
		grep -iE 'error|invalid|cannot|RELEASE' "$out" | head -8 | sed 's/^/      /'
	fi
done
acc_finish
