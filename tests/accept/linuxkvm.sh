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
# cross-checked against BTF. Last, linuxkvm_hostile.py corrupts vm_list, memslots, mm and the
# gfn tree in an ELF copy of the -d31 dump (small) and expects clean per-VM diagnostics.
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

DBG=$(ls -d "$HOME"/.cache/vmcarve-testbed/kdbg-*/usr/lib/debug 2> /dev/null | head -1)
if [ -n "$DBG" ]; then
	run vmcore-dwarf+btf "$BED/host-kdump.vmcore" host-kdump.vmcore -- --debuginfo "$DBG"
	if grep -q '^disagree' "$WORK/vmcore-dwarf+btf.probe"; then
		acc_fail "BTF and DWARF disagree on $(grep -c '^disagree' "$WORK/vmcore-dwarf+btf.probe") offsets"
	elif grep -q 'DWARF agrees' "$WORK/vmcore-dwarf+btf.probe"; then
		acc_pass "BTF in the dump and DWARF in $DBG: $(grep -m1 '^SOURCE' "$WORK/vmcore-dwarf+btf.probe" | sed 's/^SOURCE //')"
	else
		acc_fail "no BTF/DWARF cross-check was made: $(grep -m1 -E '^(SOURCE|ERROR)' "$WORK/vmcore-dwarf+btf.probe")"
	fi
	run vmcore-dwarf-only "$BED/host-kdump.vmcore" host-kdump.vmcore -- --debuginfo "$DBG" --no-btf
	# no kallsyms either: vmlinux symbols from its ELF symtab + KERNELOFFSET (kernels < 6.0)
	run vmcore-dwarf-symtab "$BED/host-kdump.vmcore" host-kdump.vmcore -- --debuginfo "$DBG" --no-btf --no-kallsyms
else
	acc_info "no linux-image-*-dbg tree under ~/.cache/vmcarve-testbed: DWARF route not run"
fi

HOST_ELF=$WORK/d31.elf
if "$VMCARVE" convert -q "$BED/host-kdump.makedumpfile-d31.kdump" --format elf --no-dedup -o "$HOST_ELF" > "$WORK/d31.conv.log" 2>&1; then
	"$PY" "$HERE/linuxkvm_hostile.py" "$PROBE" "$HOST_ELF" > "$WORK/hostile.txt" 2>&1
	grep -v '^RESULT' "$WORK/hostile.txt" | sed 's/^\(PASS\|FAIL\)  /\1  hostile: /'
	ACC_FAILS=$((ACC_FAILS + $(grep -c '^FAIL' "$WORK/hostile.txt")))
	grep -q '^RESULT' "$WORK/hostile.txt" || acc_fail "hostile: linuxkvm_hostile.py did not finish: $(tail -2 "$WORK/hostile.txt" | tr '\n' ' ')"
	rm -f "$HOST_ELF"
else
	acc_fail "vmcarve convert of the -d31 dump to ELF failed: $(tail -2 "$WORK/d31.conv.log" | tr '\n' ' ')"
fi
acc_finish
