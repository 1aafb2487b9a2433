#!/bin/bash
# tests/accept/crash.sh VMCARVE [vmcore|qemu|all]
#
# crash 8.0.2 with the bed's vmlinux must open every output of `vmcarve convert` of a real
# dump, and print for `sys`, `log`, `bt -a`, `kmem -i` and `ps` exactly what it prints on
# the input dump.
#
#  vmcore (default): the genuine kexec kdump host-kdump.vmcore (ELF) converted to kdump
#        with each codec (-c -l -p -z --no-compress; dedup is the default), kdump -l
#        --no-dedup, ELF (default and --no-dedup) and flattened kdump (-l, crash reads
#        flattened streams itself): 9 outputs, 10 crash sessions.
#  qemu: QEMU's dump-guest-memory of the same machine, host-qemu.elf and the flattened
#        host-qemu.kdump-zlib, each converted to kdump -l and to ELF: 4 outputs, 6 sessions.
#
# Normalisation of crash's output before the comparison, and nothing else:
#  1. the `DUMPFILE:` line of `sys` is dropped: it names the file. Its "[PARTIAL DUMP]"
#     suffix (crash prints it for a kdump whose header says pages were filtered) is shown
#     as INFO when it differs, not compared, because an ELF file cannot carry that flag.
#  2. every literal occurrence of the dump file's path is replaced by <DUMP> (crash names
#     the file in some warnings and errors).
# crash must also exit 0, print `RELEASE:` (it got through `sys`), and not time out.
# Known: crash 8.0.2 builds only TASKS 1..3 of this 6.1 kernel, on the input too; that is
# compared like everything else.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
SET=${2:-vmcore}
case $SET in vmcore | qemu | all) ;; *) echo "usage: $0 VMCARVE [vmcore|qemu|all]"; exit 2 ;; esac
acc_need crash crash
acc_init "crash-$SET" "$@"
acc_vmlinux
CRASH_TIMEOUT=${CRASH_TIMEOUT:-600}

printf '%s\n' sys log 'bt -a' 'kmem -i' ps q > "$WORK/cmds"
: > "$WORK/sessions"   # NAME<TAB>DUMP<TAB>REF-NAME
: > "$WORK/jobs"

session() { # NAME DUMP REF
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$WORK/sessions"
	# shellcheck disable=SC2016  # $EPOCHREALTIME and $? belong to the job line
	printf 't0=$EPOCHREALTIME; timeout %s crash -s -i %q %q %q > %q 2>&1; echo $? > %q; ' \
		"$CRASH_TIMEOUT" "$WORK/cmds" "$VMLINUX" "$2" "$WORK/$1.raw" "$WORK/$1.rc" >> "$WORK/jobs"
	# shellcheck disable=SC2016
	printf 'awk -v a=$t0 -v b=$EPOCHREALTIME %q > %q\n' 'BEGIN { printf "%.1f", b - a }' "$WORK/$1.time" >> "$WORK/jobs"
}

# convert_set TAG IN: the outputs of IN, one crash session each
convert_all() { # TAG IN OUTPUT-SPEC...   (spec = name:args, args with commas for spaces)
	local tag=$1 in=$2 spec name args
	shift 2
	session "$tag.input" "$in" "$tag.input"
	for spec in "$@"; do
		name=${spec%%:*}
		args=${spec#*:}
		# shellcheck disable=SC2086
		CONV_IN=$in acc_convert "$WORK/$tag.$name" ${args//,/ } && session "$tag.$name" "$WORK/$tag.$name" "$tag.input"
	done
}

if [ "$SET" = vmcore ] || [ "$SET" = all ]; then
	convert_all vmcore "$INPUT" \
		kdump-zlib:-c kdump-lzo:-l kdump-snappy:-p kdump-zstd:-z kdump-raw:--no-compress \
		kdump-lzo-nodedup:-l,--no-dedup elf:--format,elf elf-nodedup:--format,elf,--no-dedup \
		flat-lzo:--format,flat,-l
fi
if [ "$SET" = qemu ] || [ "$SET" = all ]; then
	convert_all qemu-elf "$BED/host-qemu.elf" kdump-lzo:-l elf:--format,elf
	convert_all qemu-flat "$BED/host-qemu.kdump-zlib" kdump-lzo:-l elf:--format,elf
fi

n=$(wc -l < "$WORK/sessions")
acc_log "running $n crash sessions, $JOBS at a time (sys, log, bt -a, kmem -i, ps)"
t0=$EPOCHREALTIME
acc_parallel "$WORK/jobs"
acc_log "crash sessions done in $(acc_since "$t0") s"

normalise() { # DUMP RAW -> stdout
	local dump=$1 raw=$2
	awk -v dump="$dump" '
		/^ *DUMPFILE: / { next }
		{ out = ""; s = $0
		  while ((i = index(s, dump)) > 0) { out = out substr(s, 1, i - 1) "<DUMP>"; s = substr(s, i + length(dump)) }
		  print out s }' "$raw"
}

while IFS=$'\t' read -r name dump ref; do
	raw=$WORK/$name.raw rc=$(cat "$WORK/$name.rc" 2> /dev/null || echo '?') t=$(cat "$WORK/$name.time" 2> /dev/null)
	normalise "$dump" "$raw" > "$WORK/$name.norm"
	what="crash $name ($(basename "$dump"), ${t:-?} s)"
	if [ "$rc" != 0 ]; then
		acc_fail "$what: crash exited $rc$([ "$rc" = 124 ] && echo " (timeout ${CRASH_TIMEOUT}s)"): $(grep -m3 -iE 'crash:|error|cannot' "$raw" | tr '\n' ' ')"
		continue
	fi
	if ! grep -q '^ *RELEASE: ' "$raw"; then
		acc_fail "$what: no RELEASE: line, crash did not get through sys: $(grep -m3 -iE 'crash:|error|cannot|warning' "$raw" | tr '\n' ' ')"
		continue
	fi
	summary="$(grep -E '^ +(RELEASE|CPUS|TASKS|MEMORY|PANIC):' "$raw" | tr -s ' ' | sed 's/^ //' | paste -sd';') $(wc -l < "$raw") lines"
	if [ "$name" = "$ref" ]; then
		acc_pass "$what opens the input: $summary"
		continue
	fi
	pf_in=$(grep -c '^ *DUMPFILE: .*\[PARTIAL DUMP\]' "$WORK/$ref.raw")
	pf_out=$(grep -c '^ *DUMPFILE: .*\[PARTIAL DUMP\]' "$raw")
	[ "$pf_in" = "$pf_out" ] || acc_info "$what: DUMPFILE [PARTIAL DUMP] flag: input $pf_in, output $pf_out (not compared)"
	if diff -u "$WORK/$ref.norm" "$WORK/$name.norm" > "$WORK/$name.diff"; then
		acc_pass "$what: sys/log/bt -a/kmem -i/ps identical to the input's ($(wc -l < "$WORK/$name.norm") lines)"
	else
		acc_fail "$what: crash output differs from the input's ($(grep -c '^[-+][^-+]' "$WORK/$name.diff") lines):"
		head -60 "$WORK/$name.diff" | sed 's/^/      /'
	fi
done < "$WORK/sessions"
acc_finish
