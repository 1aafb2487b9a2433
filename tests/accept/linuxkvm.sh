#!/bin/bash
# tests/accept/linuxkvm.sh VMCARVE LKVM_PROBE
#
# The KVM memslot route (src/linux_kvm.c) on the test bed's real host dumps: lkvm_probe
# prints what vmc_linux_kvm_find finds (VMs, memslots, vCPUs, with struct offsets from the
# BTF in the dump and symbols from its kallsyms) and every guest's gfn -> host frame runs
# through vmc_linux_uva_walk; linuxkvm_check.py compares them with crash's view
# (truth/kvm-crash-truth-*.txt) and the VMMs' own pagemaps (truth/guest<N>.gpa2hpa.txt).
# Inputs: host-kdump.vmcore (kexec kdump), host-qemu.elf (whole-L1 QEMU dump), and
# host-kdump.makedumpfile-d31.kdump (user pages excluded: guest RAM must be reported absent).
# With the linux-image-*-dbg tree of the bed (kdbg-*), the DWARF route is run too, alone and
# cross-checked against BTF.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
PROBE=$(realpath -m "${2:-}")
acc_init linuxkvm "$1"
[ -x "$PROBE" ] || acc_die "lkvm_probe binary '$PROBE' is not there"

run() { # NAME DUMP TRUTH-NAME [--filtered] [-- PROBE-ARGS...]
	local name=$1 dump=$2 truth=$3 flt=() pargs=()
	shift 3
	[ "${1:-}" = --filtered ] && { flt=(--filtered); shift; }
	[ "${1:-}" = -- ] && { shift; pargs=("$@"); }
	local out=$WORK/$name.probe t0=$EPOCHREALTIME
	if ! "$PROBE" "$dump" --gpa2hpa --report "${pargs[@]}" > "$out" 2>&1; then
		acc_fail "$name: lkvm_probe $(basename "$dump") ${pargs[*]}: $(grep -m1 ERROR "$out")"
		return
	fi
	acc_log "$name: lkvm_probe $(basename "$dump") ${pargs[*]} in $(acc_since "$t0") s: $(grep -m1 '^SOURCE' "$out")"
	grep -E '^(warning|disagree)' "$out" | sed 's/^/INFO  /'
	"$PY" "$HERE/linuxkvm_check.py" "$out" "$BED" --truth "$truth" "${flt[@]}" > "$out.check" 2>&1
	sed "s/^\(PASS\|FAIL\|INFO\)  /\1  $name: /" "$out.check" | grep -v '^RESULT'
	ACC_FAILS=$((ACC_FAILS + $(grep -c '^FAIL' "$out.check")))
	grep -q '^RESULT 0 failed' "$out.check" || [ "$(grep -c '^FAIL' "$out.check")" != 0 ] ||
		acc_fail "$name: linuxkvm_check.py did not finish: $(tail -2 "$out.check" | tr '\n' ' ')"
}

run vmcore "$BED/host-kdump.vmcore" host-kdump.vmcore
run qemu-elf "$BED/host-qemu.elf" host-qemu.elf
run d31 "$BED/host-kdump.makedumpfile-d31.kdump" host-kdump.makedumpfile-d31.kdump --filtered

acc_finish
