#!/bin/bash
# tests/accept/pages.sh VMCARVE
#
# python3-libkdumpfile reads every page of every `vmcarve convert` output, and each page
# equals the input's, frame for frame; frames missing or excluded in the input stay
# missing (pagecmp.py: kdump through libkdumpfile, ELF data through libkdumpfile with
# presence from the PT_LOADs, the input ELF by p_paddr with our own reader).
#
#  host-kdump.vmcore (genuine kdump, ELF) -> kdump -c -l -p -z --no-compress, -l --no-dedup,
#      ELF, ELF --no-dedup, flattened -l, flattened -z to stdout (a pipe), and --threads 1
#  host-qemu.kdump-zlib (QEMU, flattened)  -> kdump -l, ELF
#  host-qemu.elf (QEMU ELF)                 -> kdump -z
#  host-kdump.makedumpfile-d31.kdump (filtered: ~90% of the frames excluded)
#                                           -> kdump -l, ELF, kdump -c --no-dedup
#  host-kdump.makedumpfile-d0.kdump (makedumpfile, zlib) -> kdump -p
#  makedumpfile -l -d 0 --split of host-kdump.vmcore into 2 and into 3 parts -> kdump -l
# It also checks that --threads 1 and the default thread count write the same file
# (INFO only: byte-identical output is not promised).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_init pages "$@"

cmp_set() { # REF OUTPUT...
	local ref=$1 t0 rc
	shift
	[ $# -gt 0 ] || return 0
	t0=$EPOCHREALTIME
	"$PY" "$HERE/pagecmp.py" -j "$JOBS" --reader libkdumpfile "$ref" "$@" > "$WORK/pagecmp.out" 2>&1
	rc=$?
	acc_log "pagecmp $(basename "$ref") vs $# outputs: rc $rc in $(acc_since "$t0") s"
	while IFS= read -r line; do
		case $line in
		"pagecmp "*"-> PASS") acc_pass "${line#pagecmp }" ;;
		"pagecmp "*"-> FAIL" | "pagecmp "*ERROR*) acc_fail "${line#pagecmp }" ;;
		*) echo "      $line" ;;
		esac
	done < "$WORK/pagecmp.out"
	if [ $rc != 0 ] && ! grep -qE '^pagecmp .*(FAIL|ERROR)' "$WORK/pagecmp.out"; then
		acc_fail "pagecmp.py exited $rc: $(tail -3 "$WORK/pagecmp.out" | tr '\n' ' ')"
	fi
	rm -f "$@"  # free the disk space for the next set
}

outs=()
conv() { # NAME ARGS...: convert $CONV_IN to $WORK/NAME, remember it
	local name=$1
	shift
	acc_convert "$WORK/$name" "$@" && outs+=("$WORK/$name")
}

# 1. the genuine kdump, every codec and format
export CONV_IN=$INPUT
outs=()
conv vmcore.kdump-zlib -c
conv vmcore.kdump-lzo -l
conv vmcore.kdump-snappy -p
conv vmcore.kdump-zstd -z
conv vmcore.kdump-raw --no-compress
conv vmcore.kdump-lzo-nodedup -l --no-dedup
conv vmcore.elf --format elf
conv vmcore.elf-nodedup --format elf --no-dedup
conv vmcore.flat-lzo --format flat -l
# -o - writes the flattened format to stdout (here into a pipe, which cannot seek)
if "$VMCARVE" convert -q "$INPUT" -o - -z 2> "$WORK/vmcore.flat-stdout.log" | cat > "$WORK/vmcore.flat-stdout-zstd" &&
	[ -s "$WORK/vmcore.flat-stdout-zstd" ]; then
	acc_log "converted $(basename "$INPUT") -z -o - | cat -> vmcore.flat-stdout-zstd ($(du -h "$WORK/vmcore.flat-stdout-zstd" | cut -f1))"
	outs+=("$WORK/vmcore.flat-stdout-zstd")
else
	acc_fail "vmcarve convert $(basename "$INPUT") -z -o - (to a pipe) failed: $(tail -3 "$WORK/vmcore.flat-stdout.log" | tr '\n' ' ')"
fi
if conv vmcore.kdump-lzo-t1 -l --threads 1; then
	if cmp -s "$WORK/vmcore.kdump-lzo" "$WORK/vmcore.kdump-lzo-t1"; then
		acc_info "-l --threads 1 and the default threads wrote byte-identical files"
	else
		acc_info "-l --threads 1 and the default threads wrote different files ($(cmp "$WORK/vmcore.kdump-lzo" "$WORK/vmcore.kdump-lzo-t1" 2>&1 | head -1)); pages are compared below"
	fi
fi
cmp_set "$INPUT" "${outs[@]}"

# 2. QEMU's flattened kdump-zlib and QEMU's ELF
CONV_IN=$BED/host-qemu.kdump-zlib
outs=()
conv qemu-flat.kdump-lzo -l
conv qemu-flat.elf --format elf
cmp_set "$CONV_IN" "${outs[@]}"
CONV_IN=$BED/host-qemu.elf
outs=()
conv qemu-elf.kdump-zstd -z
cmp_set "$CONV_IN" "${outs[@]}"

# 3. makedumpfile's filtered (-d 31) and unfiltered (-d 0) copies: excluded frames stay excluded
CONV_IN=$BED/host-kdump.makedumpfile-d31.kdump
outs=()
conv d31.kdump-lzo -l
conv d31.elf --format elf
conv d31.kdump-zlib-nodedup -c --no-dedup
cmp_set "$CONV_IN" "${outs[@]}"
CONV_IN=$BED/host-kdump.makedumpfile-d0.kdump
outs=()
conv d0.kdump-snappy -p
cmp_set "$CONV_IN" "${outs[@]}"

# 4. split sets written by makedumpfile itself (--split, -l -d 0: every page) -> one kdump.
#    The 3-way split of this dump has an empty last part (start_pfn = end_pfn = max_mapnr)
#    whose file ends 4 bytes before its bitmaps do; crash and libkdumpfile open that set.
outs=()
for n in 2 3; do
	parts=()
	for ((i = 1; i <= n; i++)); do parts+=("$WORK/split$n.part$i"); done
	if makedumpfile -l -d 0 --split "$INPUT" "${parts[@]}" > "$WORK/split$n.mlog" 2>&1; then
		acc_log "makedumpfile --split into $n: $(for p in "${parts[@]}"; do stat -c %s "$p"; done | paste -sd' ') bytes"
		acc_convert_parts "$WORK/split$n.kdump-lzo" "${parts[@]}" -- -l && outs+=("$WORK/split$n.kdump-lzo")
	else
		acc_fail "makedumpfile --split into $n parts failed: $(tail -3 "$WORK/split$n.mlog" | tr '\n' ' ')"
	fi
done
cmp_set "$INPUT" "${outs[@]}"
rm -f "$WORK"/split*.part*
acc_finish
