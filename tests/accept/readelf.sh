#!/bin/bash
# tests/accept/readelf.sh VMCARVE
#
# vmcarve's ELF outputs pass binutils and elfutils cleanly, and keep the input's notes:
#  * `readelf -a -W OUT`, `eu-readelf -a OUT` and `eu-readelf -n OUT` exit 0 with nothing on
#    stderr (no warning, no error);
#  * the notes (owner, type, descriptor bytes, in order: NT_PRSTATUS per CPU, QEMU's
#    QEMUCPUState, VMCOREINFO) equal the input's (elfnotes.py reads the PT_NOTEs itself).
#    For a kdump input the reference is the ELF the kdump was made from
#    (host-kdump.vmcore for makedumpfile's -d 31 copy and for vmcarve's own kdump,
#    host-qemu.elf for QEMU's kdump-zlib), since both keep that ELF's notes.
#  * PT_LOAD header differences (split segments, p_vaddr) are printed as INFO only; the
#    page contents are pages.sh's job.
# Outputs: host-kdump.vmcore -> ELF, ELF --no-dedup, and via vmcarve kdump -l -> ELF;
# host-qemu.elf -> ELF; host-qemu.kdump-zlib (flattened) -> ELF;
# host-kdump.makedumpfile-d31.kdump (filtered) -> ELF.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need readelf binutils
acc_need eu-readelf elfutils
acc_init readelf "$@"
VMCORE=$BED/host-kdump.vmcore QELF=$BED/host-qemu.elf

check() { # NAME OUT NOTES-REF
	local name=$1 out=$2 ref=$3 tool rc errs=0
	for tool in "readelf -a -W" "eu-readelf -a" "eu-readelf -n"; do
		# shellcheck disable=SC2086
		$tool "$out" > "$out.stdout" 2> "$out.stderr"
		rc=$?
		if [ $rc != 0 ] || [ -s "$out.stderr" ]; then
			acc_fail "$tool $name: rc $rc, stderr ($(wc -l < "$out.stderr") lines):"
			head -10 "$out.stderr" | sed 's/^/      /'
			errs=1
		fi
	done
	[ $errs = 1 ] || acc_pass "readelf -a -W, eu-readelf -a, eu-readelf -n $name: exit 0, stderr empty"
	if "$PY" "$HERE/elfnotes.py" --cmp "$ref" "$out" > "$out.notes" 2>&1; then
		acc_pass "notes of $name == notes of $(basename "$ref"): $(head -1 "$out.notes")"
	else
		acc_fail "notes of $name != notes of $(basename "$ref"):"
		grep -v '^INFO' "$out.notes" | sed 's/^/      /'
	fi
	grep '^INFO' "$out.notes" | sed "s/^INFO /INFO  $name: /"
	rm -f "$out"
}

one() { # NAME IN NOTES-REF ARGS...
	local name=$1 in=$2 ref=$3
	shift 3
	CONV_IN=$in acc_convert "$WORK/$name" "$@" && check "$name" "$WORK/$name" "$ref"
}

one vmcore.elf "$VMCORE" "$VMCORE" --format elf
one vmcore.elf-nodedup "$VMCORE" "$VMCORE" --format elf --no-dedup
if CONV_IN=$VMCORE acc_convert "$WORK/vmcore.kdump" -l; then
	one vmcore.kdump.elf "$WORK/vmcore.kdump" "$VMCORE" --format elf
	rm -f "$WORK/vmcore.kdump"
fi
one qemu-elf.elf "$QELF" "$QELF" --format elf
one qemu-flat.elf "$BED/host-qemu.kdump-zlib" "$QELF" --format elf
one d31.elf "$BED/host-kdump.makedumpfile-d31.kdump" "$VMCORE" --format elf
acc_finish
