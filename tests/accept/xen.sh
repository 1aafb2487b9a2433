#!/bin/bash
# tests/accept/xen.sh VMCARVE kdump|qemu DOMAIN
#
# Carve one domain (dom0, guest1, ... as named in the Xen bed's truth/domains.txt) out of a
# real Xen host dump and judge the outputs:
#   kdump: the genuine Xen 4.17 kdump xen-kdump.vmcore (Xen notes, VMCOREINFO_XEN), carved
#          without --xen-syms (listing is also checked with it);
#   qemu:  the whole-machine QEMU dump host-qemu.elf (no Xen notes: Xen is found from the CPU
#          notes' CR3s and --xen-syms).
# Checks, for ELF, kdump-lzo and kdump-zstd outputs of `vmcarve extract`:
#   * `vmcarve list` shows the domain as PV with the bed's memory size and vCPU count;
#   * verify-markers: 100 % of the domain's marker pages, at the machine frame the bed's
#     truth p2m gives (outputs are in machine space, as Xen kdumps are);
#   * xen_p2m_check.py: the p2m the output carries (CRASH_INFO -> frame lists -> leaves, as
#     crash reads it) equals the bed's truth p2m, and every frame it names is in the output;
#   * domUs: every page of Xen's own `xl dump-core` equals the carved page (xccompare.py);
#   * with --xen-syms: vCPU 0's registers equal the xc_core's vCPU 0 context (domUs), and
#     crash's bt -a on the kdump outputs gives every vCPU's task a backtrace from them;
#   * crash 8.0.2 + vmlinux opens each output: sys (RELEASE), log (the boot log), bt -a,
#     kmem -i (TOTAL MEM) work, and TASKS equals what crash shows on the genuine reference
#     (the xc_core for a domU, as the bed's checks/crash-*.txt recorded it; for dom0 from the kdump, crash's whole output must be identical
#     to its output on the genuine kdump itself).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
SRC=${2:-} DOM=${3:-}
case $SRC in kdump | qemu) ;; *) echo "usage: $0 VMCARVE kdump|qemu DOMAIN"; exit 2 ;; esac
[ -n "$DOM" ] || { echo "usage: $0 VMCARVE kdump|qemu DOMAIN"; exit 2; }
acc_need crash crash
ACC_NAME="xen-$SRC-$DOM"
VMCARVE=$(realpath -m "$1")
[ -x "$VMCARVE" ] || { echo "FAIL  $ACC_NAME: vmcarve binary $VMCARVE is not there"; exit 1; }
"$PY" -c 'import kdumpfile' 2> /dev/null || acc_skip "$PY cannot import kdumpfile"
BED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen) || acc_skip "the Xen test bed's outputs are not there (scripts/testbed-outputs xen builds them)"
VMLINUX=$("$ACC_ROOT/scripts/testbed-outputs" --no-build --vmlinux xen) || acc_skip "no vmlinux for the Xen bed"
acc_shared
COMMON=$SHARED/testbed/common
[ -x "$COMMON/verify-markers" ] || acc_skip "verify-markers is not there ($COMMON)"
XENVER=$(awk '/Package: xen-hypervisor-4/ { print $4; exit }' "$BED/versions.txt")
XENSYMS=$(ls "${VMCARVE_TESTBED_CACHE:-$HOME/.cache/vmcarve-testbed}"/unpack/xen-sysroot-"$XENVER"/usr/lib/debug/boot/xen-syms-* 2> /dev/null | grep -v '\.map$' | head -1)
base=${VMCARVE_ACCEPT_WORK:-${TMPDIR:-/tmp}}
mkdir -p "$base" || exit 1
WORK=$(mktemp -d "$base/$ACC_NAME.XXXXXX") || exit 1
trap acc_cleanup EXIT

line=$(grep "^name=$DOM " "$BED/truth/domains.txt") || acc_die "domain $DOM is not in $BED/truth/domains.txt"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
DOMID=$(field domid) MEM=$(field mem_mib) VCPUS=$(field vcpus) REF=$(field reference)
case $SRC in
kdump) INPUT=$BED/xen-kdump.vmcore SYMS=() ;;
qemu)
	INPUT=$BED/host-qemu.elf
	[ -n "$XENSYMS" ] || acc_skip "xen-syms of Xen $XENVER is not in the test-bed cache"
	SYMS=(--xen-syms "$XENSYMS")
	;;
esac
acc_log "$ACC_NAME: domain $DOM = id $DOMID ($MEM MiB, $VCPUS vCPUs) from $(basename "$INPUT")"

# ---- list --------------------------------------------------------------------------------
check_list() { # ARGS...
	local out=$WORK/list.txt rc row
	"$VMCARVE" list "$INPUT" "$@" > "$out" 2> "$out.err"
	rc=$?
	row=$(awk -v id="$DOMID" '$1 == id' "$out")
	if [ $rc != 0 ]; then
		acc_fail "vmcarve list $* exited $rc: $(head -3 "$out.err" | tr '\n' ' ')"
	elif [ -z "$row" ]; then
		acc_fail "vmcarve list $*: domain $DOMID not listed"
	else
		set -- $row
		# ID NAME TYPE VCPUS EXPECTED MAPPED PRESENT MAX-GFN METHOD
		if [ "$3" = PV ] && [ "$4" = "$VCPUS" ] && [ "$5" = $((MEM * 256)) ]; then
			acc_pass "vmcarve list: domain $DOMID PV, $4 vCPUs, $5 pages expected, $7 present, max gfn $8"
		else
			acc_fail "vmcarve list: domain $DOMID row '$row' (want PV, $VCPUS vCPUs, $((MEM * 256)) pages)"
		fi
	fi
}
check_list "${SYMS[@]}"
[ "$SRC" = kdump ] && [ -n "$XENSYMS" ] && check_list --xen-syms "$XENSYMS"
VSYMS=("${SYMS[@]}")
[ -n "$XENSYMS" ] && VSYMS=(--xen-syms "$XENSYMS")
"$VMCARVE" list "$INPUT" "${VSYMS[@]}" -v > "$WORK/list-v.txt" 2>&1
acc_info "list -v offsets: $(grep -E '^OFFSET\((domain\.(vcpu|shared_info|tot_pages)|vcpu\.arch\.user_regs)\)' "$WORK/list-v.txt" | tr '\n' ' ')"
# a paused domU's vCPU 0 as Xen's own xl dump-core saw it (the bed's xcinfo of the xc_core)
if [ "$REF" != - ] && [ -s "$BED/checks/xcinfo-$(basename "$REF").txt" ] && [ -n "$XENSYMS" ]; then
	want=$(sed -n 's/^vcpu0: .* rip \(0x[0-9a-f]*\) rsp \(0x[0-9a-f]*\) .*/rip=\1 rsp=\2/p' "$BED/checks/xcinfo-$(basename "$REF").txt")
	got=$(awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^vcpu0\.rip=/' "$WORK/list-v.txt" | sed 's/^vcpu0\.//; s/ (.*//')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		acc_pass "vCPU 0 registers = xl dump-core's vCPU 0 context ($got)"
	else
		acc_fail "vCPU 0 registers: vmcarve '$got', xl dump-core '$want'"
	fi
fi

# ---- extract -----------------------------------------------------------------------------
OUTS=()
extract() { # NAME ARGS...
	local name=$1 t0 rc
	shift
	t0=$EPOCHREALTIME
	"$VMCARVE" extract -q "$INPUT" "${SYMS[@]}" --domain "$DOMID" -o "$WORK/$name" "$@" > "$WORK/$name.log" 2>&1
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$WORK/$name" ]; then
		acc_fail "extract --domain $DOMID $* -> $name: rc $rc: $(tail -3 "$WORK/$name.log" | tr '\n' ' ')"
		return
	fi
	acc_log "extracted $name ($*) in $(acc_since "$t0") s, $(du -h "$WORK/$name" | cut -f1)"
	OUTS+=("$name")
}
extract elf --format elf
extract kdump-lzo -l
# with --xen-syms the running vCPUs are known and per-vCPU registers are written
if [ "$SRC" = kdump ] && [ -n "$XENSYMS" ]; then
	extract kdump-zstd -z --xen-syms "$XENSYMS"
	SYMS_OUTS=" kdump-zstd "
else
	extract kdump-zstd -z
	SYMS_OUTS=" ${SYMS[*]:+elf kdump-lzo kdump-zstd} "
fi

# ---- pages -------------------------------------------------------------------------------
for o in "${OUTS[@]}"; do
	sp=()
	[ "$o" != elf ] && sp=(--kdump-space machphys)
	r=$("$COMMON/verify-markers" -q "${sp[@]}" --map "$BED/truth/$DOM.p2m.txt" -m "$BED/truth/truth-$DOM.txt" "$WORK/$o" 2>&1 | grep '^TOTAL')
	case $r in *'-> PASS'*) acc_pass "markers $o: $r" ;; *) acc_fail "markers $o: ${r:-verify-markers failed}" ;; esac
done
if [ -s "$WORK/elf" ]; then
	r=$("$PY" "$HERE/xen_p2m_check.py" "$WORK/elf" "$BED/truth/$DOM.p2m.txt" 2>&1 | tail -1)
	case $r in *'-> PASS'*) acc_pass "p2m carried by the output vs truth: $r" ;; *) acc_fail "p2m check: $r" ;; esac
fi
if [ "$REF" != - ] && [ -s "$BED/$REF" ]; then
	for o in "${OUTS[@]}"; do
		r=$("$PY" "$COMMON/xccompare.py" "$BED/$REF" "$WORK/$o" 2>&1 | tail -1)
		case $r in *'-> PASS'*) acc_pass "xc_core pages vs $o: $r" ;; *) acc_fail "xc_core vs $o: $r" ;; esac
	done
fi

# ---- crash -------------------------------------------------------------------------------
printf '%s\n' sys log 'bt -a' 'kmem -i' ps q > "$WORK/cmds"
: > "$WORK/jobs"
SESS=("${OUTS[@]}")
GENUINE=
if [ "$SRC" = kdump ] && [ "$DOMID" = 0 ]; then
	GENUINE=$INPUT
	SESS+=(genuine)
fi
for s in "${SESS[@]}"; do
	dump=$WORK/$s
	[ "$s" = genuine ] && dump=$GENUINE
	printf 'timeout 600 crash -s -i %q %q %q > %q 2>&1; echo $? > %q\n' "$WORK/cmds" "$VMLINUX" "$dump" \
		"$WORK/$s.crash" "$WORK/$s.crash.rc" >> "$WORK/jobs"
done
t0=$EPOCHREALTIME
acc_parallel "$WORK/jobs"
acc_log "${#SESS[@]} crash sessions in $(acc_since "$t0") s"
tasks() { grep -m1 '^ *TASKS:' "$1" | tr -d ' '; }
for s in "${OUTS[@]}"; do
	c=$WORK/$s.crash rc=$(cat "$WORK/$s.crash.rc" 2> /dev/null)
	what="crash $s"
	if [ "$rc" != 0 ]; then acc_fail "$what: exited $rc: $(grep -m3 -iE 'crash:|error|cannot' "$c" | tr '\n' ' ')"; continue; fi
	grep -q '^ *RELEASE: ' "$c" || { acc_fail "$what: no RELEASE line: $(grep -m3 -iE 'crash:|error|cannot' "$c" | tr '\n' ' ')"; continue; }
	grep -q 'Linux version' "$c" || acc_fail "$what: log has no 'Linux version' line"
	grep -q 'TOTAL MEM' "$c" || acc_fail "$what: kmem -i printed no TOTAL MEM"
	grep -q '^PID: ' "$c" || acc_fail "$what: bt -a printed no task"
	nlog=$(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$c")
	# (crash 8.0.2 takes the registers of a Xen-flavoured dump's NT_PRSTATUS notes only from a
	# kdump-compressed file; in an ELF one it searches the stacks, as on Xen's own kdump)
	case "$SYMS_OUTS:$s" in
	*" $s "*:kdump*)
		# per-vCPU registers are in this output: every active task gets a backtrace
		nbt=$(grep -c '^ #0 \[' "$c")
		if grep -q 'cannot be determined' "$c" || [ "$nbt" -lt "$VCPUS" ]; then
			acc_fail "$what: bt -a: $nbt backtraces for $VCPUS vCPUs: $(grep -m2 -A1 'cannot be determined' "$c" | tr '\n' ' ')"
		else
			acc_info "$what: bt -a from the carved vCPU registers: $nbt backtraces ($(grep -A1 '^PID:' "$c" | grep -o 'exception RIP: [^]]*' | sort | uniq -c | tr -s ' ' | paste -sd,))"
		fi
		;;
	esac
	if [ "$DOMID" = 0 ] && [ "$SRC" = kdump ] && [[ $SYMS_OUTS == *" $s "* ]]; then
		# bt -a differs from the genuine kdump's by design (crash cannot place the active
		# tasks there); the rest must not
		for k in TASKS: RELEASE: 'TOTAL MEM' 'SLAB'; do
			[ "$(grep -m1 "$k" "$c")" = "$(grep -m1 "$k" "$WORK/genuine.crash")" ] || acc_fail "$what: '$k' line differs from the genuine kdump's"
		done
		[ "$nlog" = "$(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$WORK/genuine.crash")" ] || acc_fail "$what: $nlog log lines, genuine kdump has a different count"
		acc_pass "$what: sys/log/kmem -i/ps as on the genuine kdump ($nlog log lines)"
		continue
	fi
	if [ "$DOMID" = 0 ] && [ "$SRC" = kdump ]; then
		if diff <(grep -v 'DUMPFILE:' "$WORK/genuine.crash" | sed "s#$GENUINE#<DUMP>#g") \
			<(grep -v 'DUMPFILE:' "$c" | sed "s#$WORK/$s#<DUMP>#g") > "$WORK/$s.diff"; then
			acc_pass "$what: sys/log/bt -a/kmem -i/ps identical to crash on the genuine kdump ($(wc -l < "$c") lines, $nlog log lines)"
		else
			acc_fail "$what: differs from crash on the genuine kdump:"
			head -20 "$WORK/$s.diff" | sed 's/^/      /'
		fi
		continue
	fi
	# a domU's reference: crash's session on Xen's own xc_core, recorded by the bed's checks
	tref=
	[ "$REF" != - ] && [ -s "$BED/checks/crash-$(basename "$REF").txt" ] && tref=$(tasks "$BED/checks/crash-$(basename "$REF").txt")
	if [ -n "$tref" ] && [ "$(tasks "$c")" != "$tref" ]; then
		acc_fail "$what: $(tasks "$c") but crash shows $tref on the genuine reference"
		continue
	fi
	acc_pass "$what: $(grep -E '^ +(RELEASE|CPUS|TASKS|MEMORY):' "$c" | tr -s ' ' | paste -sd';'); $nlog log lines; kmem -i $(grep -m1 'TOTAL MEM' "$c" | tr -s ' ')"
done
acc_finish
