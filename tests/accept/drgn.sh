#!/bin/bash
# tests/accept/drgn.sh VMCARVE
#
# drgn (python3-drgn 0.0.22, through libkdumpfile for kdump files) opens vmcarve's outputs
# with the bed's vmlinux and reads init_task.comm, UTS_RELEASE, init_uts_ns, jiffies_64,
# the crashed thread's stack (NT_PRSTATUS) and 1 MiB of physical memory (drgn-probe.py).
#  * host-kdump.vmcore -> kdump -l, -z, -c --no-dedup, -p, ELF: drgn must print exactly
#    what it prints on the input (FAIL otherwise).
#  * QEMU's dumps (host-qemu.elf, host-qemu.kdump-zlib) -> kdump -l and ELF: drgn 0.0.22
#    cannot read the inputs themselves (QEMU paging=false ELF: no kernel-text PT_LOAD, so
#    "recursive address translation"; QEMU's kdump: no utsname, so libkdumpfile finds no
#    architecture). For these outputs a successful read is reported as INFO, and the
#    machine-wide values it reads (UTS_RELEASE, init_uts_ns.*, init_task.comm) must equal
#    the genuine kdump's; a failed read is INFO.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
"$PY" -c 'import drgn' 2> /dev/null || acc_skip "$PY cannot import drgn (apt-get install python3-drgn)"
acc_init drgn "$@"
acc_vmlinux

probe() { # DUMP OUTFILE -> rc
	timeout 300 "$PY" "$HERE/drgn-probe.py" "$1" "$VMLINUX" > "$2" 2>&1
}

probe "$INPUT" "$WORK/input.drgn" || acc_die "drgn cannot read the INPUT $(basename "$INPUT"): $(grep ERROR "$WORK/input.drgn" | head -3 | tr '\n' ' ')"
acc_pass "drgn reads the input $(basename "$INPUT"): $(grep -E '^(UTS_RELEASE|init_task.comm)=' "$WORK/input.drgn" | paste -sd' ')"
sed 's/^/      /' "$WORK/input.drgn"

strict() { # NAME ARGS...
	local name=$1 out=$WORK/$1
	shift
	CONV_IN=$INPUT acc_convert "$out" "$@" || return
	probe "$out" "$out.drgn"
	if diff "$WORK/input.drgn" "$out.drgn" > "$out.diff"; then
		acc_pass "drgn on $name: identical to the input ($(grep -E '^(UTS_RELEASE|init_task.comm)=' "$out.drgn" | paste -sd' '))"
	else
		acc_fail "drgn on $name differs from the input:"
		sed 's/^/      /' "$out.diff"
	fi
	rm -f "$out"
}
strict vmcore.kdump-lzo -l
strict vmcore.kdump-zstd -z
strict vmcore.kdump-zlib-nodedup -c --no-dedup
strict vmcore.kdump-snappy -p
strict vmcore.elf --format elf

grep -E '^(UTS_RELEASE|init_uts_ns\.[a-z]+|init_task\.comm)=' "$WORK/input.drgn" > "$WORK/machine.want"
loose() { # NAME IN ARGS...
	local name=$1 in=$2 out=$WORK/$1
	shift 2
	CONV_IN=$in acc_convert "$out" "$@" || return
	if probe "$out" "$out.drgn"; then
		if grep -E '^(UTS_RELEASE|init_uts_ns\.[a-z]+|init_task\.comm)=' "$out.drgn" | cmp -s - "$WORK/machine.want"; then
			acc_info "drgn reads $name (its input it cannot): UTS/comm equal the genuine kdump's; $(grep '^crashed_thread=' "$out.drgn")"
		else
			acc_fail "drgn reads $name, but UTS_RELEASE/init_uts_ns/init_task.comm differ from the genuine kdump's:"
			grep -E '^(UTS_RELEASE|init_uts_ns\.[a-z]+|init_task\.comm)=' "$out.drgn" | diff "$WORK/machine.want" - | sed 's/^/      /'
		fi
	else
		acc_info "drgn cannot read $name (nor its input): $(grep -m1 ERROR "$out.drgn")"
	fi
	rm -f "$out"
}
loose qemu-elf.kdump-lzo "$BED/host-qemu.elf" -l
loose qemu-elf.elf "$BED/host-qemu.elf" --format elf
loose qemu-flat.kdump-lzo "$BED/host-qemu.kdump-zlib" -l
loose qemu-flat.elf "$BED/host-qemu.kdump-zlib" --format elf
acc_finish
