#!/bin/bash
# tests/accept/makedumpfile.sh VMCARVE
#
# makedumpfile (Debian 1.7.2) accepts vmcarve's outputs of the genuine kdump
# host-kdump.vmcore:
#  * `makedumpfile --dump-dmesg OUT dmesg.txt` succeeds and the log is byte-identical to
#    the one makedumpfile extracts from the input;
#  * re-filtering, `makedumpfile -d 31 -l OUT refiltered`, succeeds, and the result holds
#    the same frames with the same bytes as `makedumpfile -d 31 -l INPUT` (pagecmp.py):
#    makedumpfile must find the same kernel structures in our file as in the input.
# Outputs: kdump -c, -l, --no-compress, -l --no-dedup, and ELF; also -p / -z when this
# makedumpfile was built with snappy / zstd (Debian's is not: `makedumpfile -v`), else INFO.
# makedumpfile prints "The kernel version is not supported." for this 6.1 kernel on the
# input too; it is not an error.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_init makedumpfile "$@"

mdf() { # LOGNAME ARGS...: run makedumpfile, log to $WORK/LOGNAME.mlog
	local log=$WORK/$1.mlog rc
	shift
	makedumpfile "$@" > "$log" 2>&1
	rc=$?
	return $rc
}
mlog_tail() { grep -v -e '^$' -e '\[ *[0-9.]* %\]' "$WORK/$1.mlog" | tail -4 | tr '\n' ' '; }

# shellcheck disable=SC2054  # NAME:ARGS, the commas separate the arguments
specs=(kdump-zlib:-c kdump-lzo:-l kdump-raw:--no-compress kdump-lzo-nodedup:-l,--no-dedup elf:--format,elf)
mv=$(makedumpfile -v 2>&1)
for c in snappy:p zstd:z; do
	if grep -qE "^${c%:*}[[:space:]]+enabled" <<< "$mv"; then
		specs+=("kdump-${c%:*}:-${c#*:}")
	else
		acc_info "makedumpfile $(head -1 <<< "$mv" | awk '{print $3}') is built without ${c%:*}: the -${c#*:} output is not given to it (crash, libkdumpfile and drgn read it in the other tests)"
	fi
done

# the input's own results
t0=$EPOCHREALTIME
mdf input-dmesg --dump-dmesg "$INPUT" "$WORK/input.dmesg" || acc_die "makedumpfile --dump-dmesg on the INPUT failed: $(mlog_tail input-dmesg)"
mdf input-d31 -d 31 -l "$INPUT" "$WORK/input.d31" || acc_die "makedumpfile -d 31 -l on the INPUT failed: $(mlog_tail input-d31)"
acc_log "input: dmesg $(wc -l < "$WORK/input.dmesg") lines, -d 31 $(du -h "$WORK/input.d31" | cut -f1), $(acc_since "$t0") s"

refiltered=()
for spec in "${specs[@]}"; do
	name=${spec%%:*}
	args=${spec#*:}
	out=$WORK/$name
	# shellcheck disable=SC2086
	acc_convert "$out" ${args//,/ } || continue
	if mdf "$name-dmesg" --dump-dmesg "$out" "$out.dmesg"; then
		if cmp -s "$WORK/input.dmesg" "$out.dmesg"; then
			acc_pass "makedumpfile --dump-dmesg $name: identical to the input's ($(wc -l < "$out.dmesg") lines)"
		else
			acc_fail "makedumpfile --dump-dmesg $name: differs from the input's:"
			diff "$WORK/input.dmesg" "$out.dmesg" | head -20 | sed 's/^/      /'
		fi
	else
		acc_fail "makedumpfile --dump-dmesg $name failed: $(mlog_tail "$name-dmesg")"
	fi
	t0=$EPOCHREALTIME
	if mdf "$name-d31" -d 31 -l "$out" "$out.d31"; then
		acc_pass "makedumpfile -d 31 -l $name: succeeded in $(acc_since "$t0") s ($(du -h "$out.d31" | cut -f1))"
		refiltered+=("$out.d31")
	else
		acc_fail "makedumpfile -d 31 -l $name failed: $(mlog_tail "$name-d31")"
	fi
	rm -f "$out"
done

# A frame that the input ELF holds only partly (host-kdump.vmcore: 0x9f, 3 KiB of it) is
# dropped by makedumpfile but kept whole by a converter that fills the rest: not compared.
ign=()
[ "$(head -c4 "$INPUT" | tr -d '\177')" = ELF ] && ign=(--ignore-partial-of "$INPUT")
if [ ${#refiltered[@]} -gt 0 ]; then
	"$PY" "$HERE/pagecmp.py" -q -j "$JOBS" "${ign[@]}" "$WORK/input.d31" "${refiltered[@]}" > "$WORK/pagecmp.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"pagecmp "*"-> PASS") acc_pass "re-filtered == makedumpfile -d 31 of the input: ${line#pagecmp }" ;;
		"pagecmp "*"-> FAIL" | "pagecmp "*ERROR*) acc_fail "re-filtered != makedumpfile -d 31 of the input: ${line#pagecmp }" ;;
		*) echo "      $line" ;;
		esac
	done < "$WORK/pagecmp.out"
	[ $rc = 0 ] || grep -qE '^pagecmp .*(FAIL|ERROR)' "$WORK/pagecmp.out" || acc_fail "pagecmp.py exited $rc"
fi
acc_finish
