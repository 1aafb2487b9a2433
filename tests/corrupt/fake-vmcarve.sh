#!/bin/bash
# fake-vmcarve.sh: a vmcarve that breaks each promise run-corrupt.py checks, for must-fail.sh.
#   info:     two stderr lines, exit 1
#   convert:  leaves a temporary file, one error line without an offset, exit 1; on a
#             trunc@0x1 case it spins (CPU limit), on an e_type/signature flip it prints a
#             sanitizer report and exits 86
cmd=$1; shift
case $cmd in
info) echo "vmcarve: $1: bad"; echo "vmcarve: and more"; exit 1 ;;
convert)
	out=
	while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	case $out in *trunc@0x1/*) while :; do :; done ;; esac
	case $out in *signature.flip/*|*e_type.flip/*) echo "==1==ERROR: AddressSanitizer: heap-buffer-overflow" >&2; exit 86 ;; esac
	: > "$(dirname "$out")/.$(basename "$out").vmcarve-XXXXXX"
	echo "vmcarve: $out: something went wrong" >&2
	exit 1 ;;
esac
exit 2
