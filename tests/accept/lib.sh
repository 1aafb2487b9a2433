# shellcheck shell=bash
# tests/accept/lib.sh - sourced by the real-dump acceptance tests (tests/accept/*.sh).
#
# Every test takes the vmcarve binary as $1 (or $VMCARVE) and runs on the KVM test bed's
# real dumps (scripts/testbed-outputs builds them when they are not cached).
# Exit codes: 0 pass, 1 fail, 77 skip -- only when a required tool or the test bed's
# scripts cannot be present on this machine; VMCARVE_ACCEPT_STRICT=1 turns skips into
# failures.
#
# Environment:
#   VMCARVE                vmcarve binary (when $1 is not given)
#   VMCARVE_ACCEPT_WORK    scratch directory (default ${TMPDIR:-/tmp}); each test makes
#                          its own subdirectory there and removes it unless it failed or
#                          VMCARVE_ACCEPT_KEEP=1. Outputs of the 1.5 GB dump need several GB.
#   VMCARVE_ACCEPT_JOBS    parallel crash/python jobs (default: number of CPUs, at most 4:
#                          a crash session with this vmlinux takes ~0.5 GB)
#   VMCARVE_ACCEPT_INPUT   main input dump (default: the bed's host-kdump.vmcore)
#   VMCARVE_TESTBED_OUT, VMCARVE_SHARED   see scripts/testbed-outputs
#   PYTHON                 python with python3-libkdumpfile (default /usr/bin/python3)
set -uo pipefail
ACC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ACC_ROOT=$(cd "$ACC_HERE/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
JOBS=${VMCARVE_ACCEPT_JOBS:-$(n=$(nproc); echo $((n > 4 ? 4 : n)))}
export PYTHONDONTWRITEBYTECODE=1
ACC_FAILS=0
ACC_NAME=$(basename "$0" .sh)
ACC_T0=$(date +%s)

# acc_since T0: seconds since $EPOCHREALTIME value T0, one decimal
acc_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
acc_log() { echo "[$(date +%H:%M:%S)] $*"; }
# acc_shared: the shared directory (test-bed scripts, verify-markers, comparators) -> SHARED
acc_shared() {
	SHARED=$("$ACC_ROOT/scripts/testbed-outputs" --shared) || acc_skip "the test-bed verifiers (shared/testbed/common) are not on this machine"
}
acc_pass() { echo "PASS  $*"; }
acc_fail() {
	echo "FAIL  $*"
	ACC_FAILS=$((ACC_FAILS + 1))
}
acc_info() { echo "INFO  $*"; }
acc_skip() {
	echo "SKIP  $ACC_NAME: $*"
	if [ "${VMCARVE_ACCEPT_STRICT:-0}" = 1 ]; then
		echo "FAIL  (VMCARVE_ACCEPT_STRICT=1: a skip is a failure)"
		exit 1
	fi
	exit 77
}
acc_die() {
	echo "FAIL  $ACC_NAME: $*"
	ACC_FAILS=$((ACC_FAILS + 1))
	acc_finish
}

# acc_need CMD PACKAGE: skip when CMD is not installed
acc_need() {
	command -v "$1" > /dev/null 2>&1 || acc_skip "$1 is not installed (apt-get install $2)"
}

# acc_vmcarve [PATH]: the binary under test (PATH, else $VMCARVE) -> VMCARVE; fails when absent
acc_vmcarve() {
	VMCARVE=$(realpath -m "${1:-${VMCARVE:-}}")
	[ -x "$VMCARVE" ] || { echo "FAIL  $ACC_NAME: vmcarve binary $VMCARVE is not there"; exit 1; }
}

# acc_workdir: a scratch directory under $VMCARVE_ACCEPT_WORK -> WORK (acc_cleanup removes it
# when the test passed)
acc_workdir() {
	local base=${VMCARVE_ACCEPT_WORK:-${TMPDIR:-/tmp}}
	mkdir -p "$base" || exit 1
	WORK=$(mktemp -d "$base/$ACC_NAME.XXXXXX") || exit 1
	trap acc_cleanup EXIT
}

# acc_markers: the test bed's marker verifier's directory -> COMMON; skip when it is not there
acc_markers() {
	acc_shared
	COMMON=$SHARED/testbed/common
	[ -x "$COMMON/verify-markers" ] || acc_skip "verify-markers is not there ($COMMON)"
}

# acc_crash_job CMDS DUMP OUT: one acc_parallel job line: crash (with $VMLINUX) runs the
# commands of file CMDS on DUMP, its output to OUT, its exit code to OUT.rc
acc_crash_job() {
	printf 'timeout 600 crash -s -i %q %q %q > %q 2>&1; echo $? > %q\n' "$1" "$VMLINUX" "$2" "$3" "$3.rc"
}

# acc_init NAME "$@": vmcarve, tools, scratch directory, test-bed paths
#  sets VMCARVE, WORK, BED, VMLINUX, INPUT
acc_init() {
	ACC_NAME=$1
	shift
	[ -n "${1:-${VMCARVE:-}}" ] || { echo "usage: $0 VMCARVE-BINARY (or set VMCARVE)"; exit 2; }
	acc_vmcarve "${1:-}"
	"$PY" -c 'import kdumpfile' 2> /dev/null || acc_skip "$PY cannot import kdumpfile (apt-get install python3-libkdumpfile)"
	acc_need makedumpfile makedumpfile
	acc_workdir
	acc_log "$ACC_NAME: vmcarve $VMCARVE, scratch $WORK"
	local rc
	BED=$("$ACC_ROOT/scripts/testbed-outputs" kvm)
	rc=$?
	[ $rc = 4 ] && acc_skip "the test-bed scripts (../shared/testbed) are not on this machine"
	[ $rc = 0 ] || acc_die "scripts/testbed-outputs kvm failed (rc $rc)"
	INPUT=${VMCARVE_ACCEPT_INPUT:-$BED/host-kdump.vmcore}
	[ -s "$INPUT" ] || acc_die "input dump $INPUT is not there"
	VMLINUX=
}

# acc_bed BED: the cached outputs of a test bed (kvm, xen, xen-pvh) -> BED, its vmlinux ->
# VMLINUX; skip (77) when they are not there (the bed's accept.testbed* fixture builds them)
acc_bed() {
	BED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build "$1") || acc_skip "the $1 test bed's outputs are not there (scripts/testbed-outputs $1 builds them)"
	VMLINUX=$("$ACC_ROOT/scripts/testbed-outputs" --no-build --vmlinux "$1") || acc_skip "no vmlinux for the $1 bed"
}

acc_vmlinux() {
	# shellcheck disable=SC2034  # used by the tests that source this file
	VMLINUX=$("$ACC_ROOT/scripts/testbed-outputs" --vmlinux kvm) || acc_die "no vmlinux for the test bed"
}

acc_cleanup() {
	local rc=$?
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "${VMCARVE_ACCEPT_KEEP:-0}" = 1 ] || { [ "$ACC_FAILS" != 0 ] && [ "${VMCARVE_ACCEPT_KEEP:-}" != 0 ]; }; then
			# keep the logs of a failed run, not the multi-GB dumps
			[ "${VMCARVE_ACCEPT_KEEP:-0}" = 1 ] || find "$WORK" -type f -size +20M -delete 2> /dev/null
			echo "scratch kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	return $rc
}

acc_finish() {
	local t=$(($(date +%s) - ACC_T0))
	if [ "$ACC_FAILS" = 0 ]; then
		echo "RESULT $ACC_NAME: PASS ($t s)"
		exit 0
	fi
	echo "RESULT $ACC_NAME: FAIL, $ACC_FAILS failed check(s) ($t s)"
	exit 1
}

# acc_convert OUT ARGS... : vmcarve convert $INPUT -o OUT ARGS (IN may be overridden with
# CONV_IN=...). Logs the time; a failure is recorded and returns 1.
acc_convert() {
	local out=$1 t0 rc
	shift
	local in=${CONV_IN:-$INPUT}
	t0=$EPOCHREALTIME
	"$VMCARVE" convert -q "$in" -o "$out" "$@" > "$out.log" 2>&1
	rc=$?
	local dt
	dt=$(acc_since "$t0")
	if [ $rc != 0 ] || [ ! -s "$out" ]; then
		acc_fail "vmcarve convert $(basename "$in") $* -> $(basename "$out"): rc $rc: $(tail -3 "$out.log" | tr '\n' ' ')"
		rm -f "$out"
		return 1
	fi
	acc_log "converted $(basename "$in") $* -> $(basename "$out") in $dt s ($(du -h "$out" | cut -f1))"
	return 0
}

# acc_convert_parts OUT PART... -- ARGS... : vmcarve convert PART... -o OUT ARGS (a split set)
acc_convert_parts() {
	local out=$1 parts=() t0 rc
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do parts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	t0=$EPOCHREALTIME
	"$VMCARVE" convert -q "${parts[@]}" -o "$out" "$@" > "$out.log" 2>&1
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$out" ]; then
		acc_fail "vmcarve convert of the ${#parts[@]}-part split set $* -> $(basename "$out"): rc $rc: $(tail -3 "$out.log" | tr '\n' ' ')"
		rm -f "$out"
		return 1
	fi
	acc_log "converted the ${#parts[@]}-part split set $* -> $(basename "$out") in $(acc_since "$t0") s ($(du -h "$out" | cut -f1))"
}

# acc_parallel CMDFILE: run each line of CMDFILE with bash, $JOBS at a time (output: per line)
acc_parallel() {
	# shellcheck disable=SC2016  # $1 is bash -c's argument
	xargs -d '\n' -n 1 -P "$JOBS" bash -c 'eval "$1"' _ < "$1"
}
