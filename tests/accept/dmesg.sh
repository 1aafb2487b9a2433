#!/bin/bash
# tests/accept/dmesg.sh VMCARVE
#
# `vmcarve dmesg` (issue 11) on the KVM bed, judged by makedumpfile and crash:
#  * the host's log from the genuine kdump host-kdump.vmcore is byte-identical to
#    `makedumpfile --dump-dmesg` (1.7.2) of the same file. One known difference is normalised
#    before comparing: makedumpfile passes a signed char to "\x%02x", so a byte >= 0x80 comes
#    out as \xffffffNN there and as \xNN here (the bed's log has none; the count is logged);
#  * `vmcarve dmesg --domain all` of host-kdump.vmcore and of the QEMU whole-machine dump
#    host-qemu.elf: every guest's log is byte-identical to crash 8.0.2's `log` on that guest's
#    reference dump (the VMM's own dump, l1out/guestN.elf, taken while the host was stopped,
#    so the same ring), and holds the marker program's boot line (tm_label=guestN).
#  * a guest named by id gives the same text as its section of --domain all.
#  * `vmcarve list --json` (issue 11 B): every guest's name is its QEMU -name (= the name in
#    truth/domains.txt), its hostname and release are crash's NODENAME and RELEASE (`sys`) on
#    the reference dump, and its state is "running" exactly when crash shows no PANIC.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_init dmesg "$@"
acc_vmlinux

HOST=$BED/host-kdump.vmcore
# the bed's guests, by the names the truth gives them
mapfile -t GUESTS < <(awk '/role=kvm-guest/ { for (i = 1; i <= NF; i++) if ($i ~ /^name=/) print substr($i, 6) }' "$BED/truth/domains.txt")
[ ${#GUESTS[@]} -gt 0 ] || acc_die "no role=kvm-guest in $BED/truth/domains.txt"
t0=$EPOCHREALTIME
if ! "$VMCARVE" dmesg "$HOST" -o "$WORK/host.txt" 2> "$WORK/host.err"; then
	acc_fail "vmcarve dmesg $(basename "$HOST"): $(tail -2 "$WORK/host.err")"
else
	acc_log "vmcarve dmesg $(basename "$HOST") in $(acc_since "$t0") s: $(wc -l < "$WORK/host.txt") lines; $(tr '\n' ' ' < "$WORK/host.err")"
	makedumpfile --dump-dmesg "$HOST" "$WORK/host.mdf" > "$WORK/host.mlog" 2>&1 || acc_fail "makedumpfile --dump-dmesg: $(tail -2 "$WORK/host.mlog")"
	hi=$(grep -c '\\xffffff' "$WORK/host.mdf")
	sed 's/\\xffffff\([0-9a-f][0-9a-f]\)/\\x\1/g' "$WORK/host.mdf" > "$WORK/host.mdf.norm"
	if [ -s "$WORK/host.txt" ] && cmp -s "$WORK/host.txt" "$WORK/host.mdf.norm"; then
		acc_pass "host log = makedumpfile --dump-dmesg, byte for byte: $(wc -l < "$WORK/host.txt") lines, $(wc -c < "$WORK/host.txt") bytes ($hi lines with a byte >= 0x80 normalised)"
	else
		acc_fail "host log differs from makedumpfile --dump-dmesg:"
		diff "$WORK/host.txt" "$WORK/host.mdf.norm" | head -10 | sed 's/^/      /'
	fi
fi

# crash's log on each guest's reference dump (both sessions at once: ~30 s each)
printf 'log\nsys\nquit\n' > "$WORK/crash.cmds"
for name in "${GUESTS[@]}"; do
	ref=$BED/l1out/$name.elf
	[ -s "$ref" ] || { acc_fail "$ref is not there"; continue; }
	timeout 400 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$ref" > "$WORK/$name.crash-all" 2>&1 &
done
"$VMCARVE" list --json "$HOST" > "$WORK/list.json" 2> /dev/null || acc_fail "vmcarve list $(basename "$HOST") failed"
wait
# the log is everything before sys's first line ("      KERNEL: ...")
for name in "${GUESTS[@]}"; do
	awk '/^ +KERNEL: /{exit} {print}' "$WORK/$name.crash-all" > "$WORK/$name.crash"
	sed -n '/^ *KERNEL: /,$p' "$WORK/$name.crash-all" > "$WORK/$name.sys"
done

for name in "${GUESTS[@]}"; do
	sysf=$WORK/$name.sys
	node=$(awk '$1 == "NODENAME:" {print $2}' "$sysf")
	rel=$(awk '$1 == "RELEASE:" {print $2}' "$sysf")
	panic=$(sed -n 's/^ *PANIC: *//p' "$sysf")
	[ -n "$rel" ] || { acc_fail "crash sys on l1out/$name.elf: no RELEASE: $(head -3 "$sysf")"; continue; }
	want_state=running
	[ -n "$panic" ] && [ "$panic" != '""' ] && want_state=panic
	got=$("$PY" -c 'import json,sys; g=[g for g in json.load(open(sys.argv[1]))["guests"] if g["name"]==sys.argv[2]]; print(len(g), *(g[0]["hostname"], g[0]["release"], g[0]["state"]) if g else "")' "$WORK/list.json" "$name")
	read -r n ghost grel gstate <<< "$got"
	if [ "$n" = 1 ] && [ "$ghost" = "$node" ] && [ "$grel" = "$rel" ] && [ "$gstate" = "$want_state" ]; then
		acc_pass "list: guest named '$name' (truth/domains.txt), hostname '$ghost', release $grel, state $gstate = crash sys on l1out/$name.elf"
	else
		acc_fail "list: '$name': $n guests so named; hostname '$ghost' release '$grel' state '$gstate'; crash: NODENAME '$node' RELEASE '$rel' PANIC '$panic'"
	fi
done

# split --domain all output at the '=== guest ID ' headers into ID.section files
split_all() { # FILE DIR
	mkdir -p "$2"
	awk -v d="$2" '/^=== guest [^ ]+ .* ===$/ { f = d "/" $3 ".section"; printf "" > f; next } f { print > f }' "$1"
}

for src in host-kdump.vmcore host-qemu.elf; do
	t0=$EPOCHREALTIME
	out=$WORK/$src.all
	if ! "$VMCARVE" dmesg "$BED/$src" --domain all -o "$out" 2> "$out.err"; then
		acc_fail "vmcarve dmesg $src --domain all: rc $?: $(tail -2 "$out.err")"
		continue
	fi
	acc_log "vmcarve dmesg $src --domain all in $(acc_since "$t0") s: $(grep -c '^=== guest' "$out") guests"
	split_all "$out" "$WORK/$src.d"
	for name in "${GUESTS[@]}"; do
		id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/list.json" "$BED/truth/domains.txt" $name) || { acc_fail "list does not show $name"; continue; }
		sec=$WORK/$src.d/$id.section
		if ! grep -q "tm_label=$name" "$sec" 2> /dev/null; then
			acc_fail "$src: guest $id ($name): no marker boot line tm_label=$name in its log"
		elif cmp -s "$sec" "$WORK/$name.crash"; then
			acc_pass "$src: guest $id ($name): log = crash 'log' on l1out/$name.elf byte for byte ($(wc -l < "$sec") lines), marker line present"
		else
			acc_fail "$src: guest $id ($name): log differs from crash 'log' on l1out/$name.elf:"
			diff "$sec" "$WORK/$name.crash" | head -8 | sed 's/^/      /'
		fi
	done
done

last=${GUESTS[-1]}
id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/list.json" "$BED/truth/domains.txt" "$last") &&
	"$VMCARVE" dmesg "$HOST" --domain "$last" > "$WORK/one.txt" 2> /dev/null &&
	cmp -s "$WORK/one.txt" "$WORK/host-kdump.vmcore.d/$id.section" &&
	acc_pass "--domain $last (by name; id $id) alone = its section of --domain all" ||
	acc_fail "--domain $last alone differs from its section of --domain all"
acc_finish
