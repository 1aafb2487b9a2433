#!/bin/bash
# tests/accept/roundtrip.sh VMCARVE
#
# Round trips ELF -> kdump -> ELF -> kdump keep every page:
#  chain qemu:   host-qemu.elf     -> kdump -l -> ELF             -> kdump -l
#  chain vmcore: host-kdump.vmcore -> kdump -c -> ELF --no-dedup  -> kdump -p --no-dedup
#  chain d31:    host-kdump.makedumpfile-d31.kdump (filtered) -> ELF -> kdump -l -> ELF
#                (the excluded frames must stay excluded through ELF)
# Checks per chain:
#  * `vmcarve manifest` (pfn, xxh64 / excluded / missing) of the input and of all four
#    steps are identical;
#  * independently of vmcarve, pagecmp.py: input vs the last kdump (libkdumpfile) and
#    input vs the middle ELF (own reader);
#  * steps 1 and 3 (same format) are compared byte for byte: INFO only.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_init roundtrip "$@"

chain() { # TAG INPUT ARGS1 ARGS2 ARGS3 ARGS4   (args with commas for spaces)
	local tag=$1 in=$2 prev=$2 i files=() step name t0
	shift 2
	i=0
	for step in "$@"; do
		i=$((i + 1))
		case $step in *--format,elf*) name=$tag.$i.elf ;; *) name=$tag.$i.kdump ;; esac
		# shellcheck disable=SC2086
		CONV_IN=$prev acc_convert "$WORK/$name" ${step//,/ } || return 1
		files+=("$WORK/$name")
		prev=$WORK/$name
	done
	t0=$EPOCHREALTIME
	"$VMCARVE" manifest "$in" > "$WORK/$tag.0.manifest" 2> "$WORK/$tag.0.manifest.err" ||
		{ acc_fail "vmcarve manifest $(basename "$in") failed: $(head -3 "$WORK/$tag.0.manifest.err")"; return 1; }
	local ok=1 f
	for f in "${files[@]}"; do
		if ! "$VMCARVE" manifest "$f" > "$f.manifest" 2> "$f.manifest.err"; then
			acc_fail "vmcarve manifest $(basename "$f") failed: $(head -3 "$f.manifest.err")"
			ok=0
		elif ! cmp -s "$WORK/$tag.0.manifest" "$f.manifest"; then
			acc_fail "manifest of $(basename "$f") differs from the input's ($(diff "$WORK/$tag.0.manifest" "$f.manifest" | grep -c '^[<>]') lines):"
			diff "$WORK/$tag.0.manifest" "$f.manifest" | head -10 | sed 's/^/      /'
			ok=0
		fi
	done
	[ $ok = 1 ] && acc_pass "$tag: manifests of $(basename "$in") and of ${#files[@]} round-trip steps identical ($(wc -l < "$WORK/$tag.0.manifest") frames, $(grep -c ' excluded$' "$WORK/$tag.0.manifest") excluded, $(grep -c ' missing$' "$WORK/$tag.0.manifest") missing; $(acc_since "$t0") s)"
	"$PY" "$HERE/pagecmp.py" -q -j "$JOBS" "$in" "${files[2]}" "${files[1]}" > "$WORK/$tag.pagecmp" 2>&1
	while IFS= read -r line; do
		case $line in
		"pagecmp "*"-> PASS") acc_pass "$tag: ${line#pagecmp }" ;;
		"pagecmp "*"-> FAIL" | "pagecmp "*ERROR*) acc_fail "$tag: ${line#pagecmp }" ;;
		*) echo "      $line" ;;
		esac
	done < "$WORK/$tag.pagecmp"
	if cmp -s "${files[0]}" "${files[2]}"; then
		acc_info "$tag: $(basename "${files[0]}") and $(basename "${files[2]}") are byte-identical"
	else
		acc_info "$tag: $(basename "${files[0]}") and $(basename "${files[2]}") differ in bytes (byte identity is not required)"
	fi
	rm -f "${files[@]}"
}

chain qemu "$BED/host-qemu.elf" -l --format,elf -l
chain vmcore "$INPUT" -c --format,elf,--no-dedup -p,--no-dedup
chain d31 "$BED/host-kdump.makedumpfile-d31.kdump" --format,elf -l --format,elf
acc_finish
