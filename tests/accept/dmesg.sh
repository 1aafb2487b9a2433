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
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_init dmesg "$@"
acc_vmlinux

HOST=$BED/host-kdump.vmcore
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
printf 'log\nquit\n' > "$WORK/crash.cmds"
for name in guest1 guest2; do
	ref=$BED/l1out/$name.elf
	[ -s "$ref" ] || { acc_fail "$ref is not there"; continue; }
	timeout 400 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$ref" > "$WORK/$name.crash" 2>&1 &
done
"$VMCARVE" list --json "$HOST" > "$WORK/list.json" 2> /dev/null || acc_fail "vmcarve list $(basename "$HOST") failed"
wait

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
	for name in guest1 guest2; do
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

id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/list.json" "$BED/truth/domains.txt" guest2) &&
	"$VMCARVE" dmesg "$HOST" --domain "$id" > "$WORK/one.txt" 2> /dev/null &&
	cmp -s "$WORK/one.txt" "$WORK/host-kdump.vmcore.d/$id.section" &&
	acc_pass "--domain $id (guest2) alone = its section of --domain all" ||
	acc_fail "--domain <guest2's id> alone differs from its section of --domain all"
acc_finish
