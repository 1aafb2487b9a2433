#!/bin/bash
# tests/accept/xen.sh VMCARVE kdump|qemu DOMAIN
# tests/accept/xen.sh VMCARVE qemu-nosyms all
#
# Carve one domain (dom0, guest1, ... as named in the Xen bed's truth/domains.txt) out of a
# real Xen host dump and judge the outputs:
#   kdump: the genuine Xen 4.17 kdump xen-kdump.vmcore (Xen notes, VMCOREINFO_XEN), carved
#          without --xen-syms: symbols from the table embedded in Xen's image (listing, vCPU 0
#          and one output are also checked with --xen-syms);
#   qemu:  the whole-machine QEMU dump host-qemu.elf (no Xen notes: Xen is found from the CPU
#          notes' CR3s and --xen-syms).
#   qemu-nosyms: host-qemu.elf without --xen-syms, every domain in one run (lean: list, vCPU 0
#          registers, one kdump-lzo output each with its markers and p2m; ~2 min): Xen and its
#          symbols are found from its embedded symbol table and the CR3s alone. Also: a
#          xen-syms of another build is refused with a message naming the embedded table.
# Checks, for ELF, kdump-lzo and kdump-zstd outputs of `vmcarve extract`:
#   * `vmcarve list` shows the domain as PV with the bed's memory size and vCPU count;
#   * list -v: the domain was written in pfn space (pv.space=pfn) with canonical page tables,
#     as many of each level as Xen's type info gave xen-mfndump (info/, domUs);
#   * verify-markers: 100 % of the domain's marker pages at their pfn (no map: outputs are in
#     the guest's own pseudo-physical space, page tables canonicalised);
#   * xen_p2m_check.py: the p2m the output carries for crash (CRASH_INFO -> frame lists ->
#     leaves) is the identity on every pfn of the bed's truth p2m, each frame in the output;
#   * domUs: every page of Xen's own `xl dump-core` equals the carved page at its pfn, the page
#     tables (xen-mfndump's types) their independent canonical form (xen_pv_canon.py);
#   * drgn (no Xen knowledge: it walks the canonical page tables) opens every output: init_task,
#     every task's stack trace, the module list (xen_pv_drgn.py); gdb reads init_uts_ns and
#     jiffies from every ELF output;
#   * with --xen-syms: vCPU 0's registers equal the xc_core's vCPU 0 context (domUs), and
#     crash's bt -a on the kdump outputs gives every vCPU's task a backtrace from them;
#   * crash 8.0.2 + vmlinux opens each output: sys (RELEASE), log (the boot log), bt -a,
#     kmem -i (TOTAL MEM), mod work, and TASKS equals what crash shows on the genuine reference
#     (the xc_core for a domU, as the bed's checks/crash-*.txt recorded it; for dom0 from the kdump, crash's whole output must be identical
#     to its output on the genuine kdump itself).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
SRC=${2:-} DOM=${3:-}
case $SRC in kdump | qemu | qemu-nosyms) ;; *) echo "usage: $0 VMCARVE kdump|qemu|qemu-nosyms DOMAIN"; exit 2 ;; esac
[ -n "$DOM" ] || { echo "usage: $0 VMCARVE kdump|qemu|qemu-nosyms DOMAIN"; exit 2; }
acc_need crash crash
ACC_NAME="xen-$SRC-$DOM"
acc_vmcarve "$1"
"$PY" -c 'import kdumpfile' 2> /dev/null || acc_skip "$PY cannot import kdumpfile"
acc_bed xen
acc_markers
XENVER=$(awk '/Package: xen-hypervisor-4/ { print $4; exit }' "$BED/versions.txt")
XENSYMS=$(ls "${VMCARVE_TESTBED_CACHE:-$HOME/.cache/vmcarve-testbed}"/unpack/xen-sysroot-"$XENVER"/usr/lib/debug/boot/xen-syms-* 2> /dev/null | grep -v '\.map$' | head -1)
acc_workdir

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
set_domain() { # DOM
	DOM=$1
	line=$(grep "^name=$DOM " "$BED/truth/domains.txt") || acc_die "domain $DOM is not in $BED/truth/domains.txt"
	DOMID=$(field domid) MEM=$(field mem_mib) VCPUS=$(field vcpus) REF=$(field reference)
}
[ "$SRC" = qemu-nosyms ] || set_domain "$DOM"
case $SRC in
kdump) INPUT=$BED/xen-kdump.vmcore SYMS=() ;;
qemu-nosyms) INPUT=$BED/host-qemu.elf SYMS=() ;;
qemu)
	INPUT=$BED/host-qemu.elf
	[ -n "$XENSYMS" ] || acc_skip "xen-syms of Xen $XENVER is not in the test-bed cache"
	SYMS=(--xen-syms "$XENSYMS")
	;;
esac
[ "$SRC" = qemu-nosyms ] || acc_log "$ACC_NAME: domain $DOM = id $DOMID ($MEM MiB, $VCPUS vCPUs) from $(basename "$INPUT")"

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
		# ID NAME TYPE HOSTNAME RELEASE STATE VCPUS EXPECTED MAPPED PRESENT MAX-GFN METHOD
		if [ "$3" = PV ] && [ "$7" = "$VCPUS" ] && [ "$8" = $((MEM * 256)) ]; then
			acc_pass "vmcarve list: domain $DOMID PV ($4, $5, $6), $7 vCPUs, $8 pages expected, ${10} present, max gfn ${11}"
		else
			acc_fail "vmcarve list: domain $DOMID row '$row' (want PV, $VCPUS vCPUs, $((MEM * 256)) pages)"
		fi
	fi
}
# a paused domU's vCPU 0 as Xen's own xl dump-core saw it (the bed's xcinfo of the xc_core)
check_vcpu0() { # LIST-V-FILE WHAT
	local want got
	[ "$REF" != - ] && [ -s "$BED/checks/xcinfo-$(basename "$REF").txt" ] || return 0
	want=$(sed -n 's/^vcpu0: .* rip \(0x[0-9a-f]*\) rsp \(0x[0-9a-f]*\) .*/rip=\1 rsp=\2/p' "$BED/checks/xcinfo-$(basename "$REF").txt")
	got=$(awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^vcpu0\.rip=/' "$1" | sed 's/^vcpu0\.//; s/ (.*//')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		acc_pass "vCPU 0 registers ($2) = xl dump-core's vCPU 0 context ($got)"
	else
		acc_fail "vCPU 0 registers ($2): vmcarve '$got', xl dump-core '$want'"
	fi
}
# symbols from the table in Xen's own image: where it was found, and that it was used
check_embedded() { # LIST-V-FILE
	if grep -q '^xen_syms=embedded symbol table' "$1" && grep -q '^pcpu[0-9]*\.curr_vcpu=' "$1"; then
		acc_pass "embedded symbols: $(grep -m1 '^xen_syms=embedded' "$1" | sed 's/^xen_syms=//'); $(grep -m1 '^xen_syms.embedded: image' "$1" | sed 's/^xen_syms.embedded: //')"
	else
		acc_fail "list -v without --xen-syms used no embedded symbol table: $(grep -m2 -E '^xen_syms|rror' "$1" | tr '\n' ' ')"
	fi
}
# written in pfn space, with as many page tables of each level as Xen's types (xen-mfndump)
check_space() { # LIST-V-FILE
	local got want mfn=$BED/info/xen-mfndump-p2m-dom$DOMID.txt
	got=$(awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^pv\.page_tables=/' "$1")
	if ! awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^pv\.space=pfn/ { f = 1 } END { exit !f }' "$1"; then
		acc_fail "list -v: domain $DOMID not written in pfn space: $(grep -m2 -E 'canonicalised|pv\.space' "$1" | tr '\n' ' ')"
		return
	fi
	if [ -s "$mfn" ]; then
		want=$(printf 'L1 %s, L2 %s, L3 %s, L4 %s' $(for l in L1 L2 L3 L4; do grep -c " $l\$" "$mfn"; done))
		case $got in *"($want)"*) acc_pass "list -v: pfn space, page tables as Xen typed them ($want; xen-mfndump)" ;;
		*) acc_fail "list -v: '$got', xen-mfndump has ($want)" ;; esac
	else
		acc_pass "list -v: pfn space, $got"
	fi
}
if [ "$SRC" != qemu-nosyms ]; then
	check_list "${SYMS[@]}"
	[ "$SRC" = kdump ] && [ -n "$XENSYMS" ] && check_list --xen-syms "$XENSYMS"
	"$VMCARVE" list "$INPUT" "${SYMS[@]}" -v > "$WORK/list-v.txt" 2>&1
	acc_info "list -v offsets: $(grep -E '^OFFSET\((domain\.(vcpu|shared_info|tot_pages)|vcpu\.arch\.user_regs)\)' "$WORK/list-v.txt" | tr '\n' ' ')"
	[ "$SRC" = kdump ] && check_embedded "$WORK/list-v.txt"
	check_space "$WORK/list-v.txt"
	check_vcpu0 "$WORK/list-v.txt" "${SYMS[*]:-embedded symbols}"
	if [ "$SRC" = kdump ] && [ -n "$XENSYMS" ]; then
		"$VMCARVE" list "$INPUT" --xen-syms "$XENSYMS" -v > "$WORK/list-v-syms.txt" 2>&1
		check_vcpu0 "$WORK/list-v-syms.txt" "--xen-syms"
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
check_markers() { # OUTPUT...
	local o r
	for o in "$@"; do
		r=$("$COMMON/verify-markers" -q -m "$BED/truth/truth-$DOM.txt" "$WORK/$o" 2>&1 | grep '^TOTAL')
		case $r in *'-> PASS'*) acc_pass "markers $o at their pfn: $r" ;; *) acc_fail "markers $o: ${r:-verify-markers failed}" ;; esac
	done
}
# the p2m crash reads from the output: the identity on every pfn the truth p2m names
check_p2m() { # OUTPUT
	local r
	awk '/^R / { print $1, $2, $2, $4; next } { print }' "$BED/truth/$DOM.p2m.txt" > "$WORK/$DOM.identity.txt"
	r=$("$PY" "$HERE/xen_p2m_check.py" "$WORK/$1" "$WORK/$DOM.identity.txt" 2>&1 | tail -1)
	case $r in *'-> PASS'*) acc_pass "p2m carried by $1 is the identity on the truth's pfns: $r" ;; *) acc_fail "p2m check ($1): $r" ;; esac
}
check_drgn() { # OUTPUT
	local r
	r=$(timeout 600 "$PY" "$HERE/xen_pv_drgn.py" "$WORK/$1" "$VMLINUX" 2>&1 | tail -1)
	case $r in *'-> PASS'*) acc_pass "drgn $1: $r" ;; *'not importable'*) acc_info "drgn: $r" ;; *) acc_fail "drgn $1: $r" ;; esac
}
check_gdb() { # ELF-OUTPUT
	local r
	command -v gdb > /dev/null || { acc_info "gdb is not installed: not checked"; return; }
	r=$(timeout 300 gdb -batch -nx "$VMLINUX" "$WORK/$1" -ex 'p init_uts_ns.name.release' -ex 'p jiffies' 2>&1 | grep '^\$')
	# the release the bed's vmlinux is named after (vmlinux-RELEASE)
	if grep -q "^\$1 = \"${VMLINUX##*/vmlinux-}\"" <<< "$r" && grep -q '^\$2 = [1-9]' <<< "$r"; then
		acc_pass "gdb $1: $(tr '\n' ' ' <<< "$r" | tr -s ' ')"
	else
		acc_fail "gdb $1: $(tr '\n' ' ' <<< "$r")"
	fi
}

if [ "$SRC" = qemu-nosyms ]; then
	printf '%s\n' sys log 'bt -a' q > "$WORK/cmds"
	: > "$WORK/jobs"
	"$VMCARVE" list "$INPUT" -v > "$WORK/list-v.txt" 2>&1 || acc_fail "vmcarve list -v $(basename "$INPUT") (no --xen-syms) exited $?: $(grep -m2 -i error "$WORK/list-v.txt" | tr '\n' ' ')"
	check_embedded "$WORK/list-v.txt"
	for d in $(awk '/^name=/ { sub("name=", "", $1); print $1 }' "$BED/truth/domains.txt"); do
		set_domain "$d"
		acc_log "domain $DOM = id $DOMID ($MEM MiB, $VCPUS vCPUs)"
		check_list
		check_vcpu0 "$WORK/list-v.txt" "embedded symbols"
		check_space "$WORK/list-v.txt"
		OUTS=()
		extract "$DOM.elf" --format elf
		extract "$DOM.kdump-lzo" -l
		check_markers "${OUTS[@]}"
		[ -s "$WORK/$DOM.elf" ] && check_p2m "$DOM.elf"
		rm -f "$WORK/$DOM.elf"
		# crash on the kdump output: bt -a from the vCPU registers the embedded symbols found
		[ -s "$WORK/$DOM.kdump-lzo" ] &&
			acc_crash_job "$WORK/cmds" "$WORK/$DOM.kdump-lzo" "$WORK/$DOM.crash" >> "$WORK/jobs"
	done
	t0=$EPOCHREALTIME
	acc_parallel "$WORK/jobs"
	acc_log "crash sessions in $(acc_since "$t0") s"
	for d in $(awk '/^name=/ { sub("name=", "", $1); print $1 }' "$BED/truth/domains.txt"); do
		set_domain "$d"
		c=$WORK/$DOM.crash
		[ -s "$c" ] || continue
		nbt=$(grep -c '^ #0 \[' "$c")
		if [ "$(cat "$c.rc")" != 0 ] || ! grep -q '^ *RELEASE: ' "$c" || ! grep -q 'Linux version' "$c"; then
			acc_fail "crash $DOM.kdump-lzo: rc $(cat "$c.rc"): $(grep -m3 -iE 'crash:|error|cannot' "$c" | tr '\n' ' ')"
		elif grep -q 'cannot be determined' "$c" || [ "$nbt" -lt "$VCPUS" ]; then
			acc_fail "crash $DOM.kdump-lzo: bt -a: $nbt backtraces for $VCPUS vCPUs"
		else
			acc_pass "crash $DOM.kdump-lzo: $(grep -E '^ +(RELEASE|TASKS):' "$c" | tr -s ' ' | paste -sd';'); bt -a from the carved vCPU registers: $nbt backtraces"
		fi
	done
	# a xen-syms of another build (every address moved by a page; its build-id unchanged, so
	# only the embedded table can tell) must be refused, naming the embedded table
	if [ -n "$XENSYMS" ]; then
		"$PY" - "$XENSYMS" "$WORK/xen-syms-other" << 'PYEOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', b, 40)
shentsize, shnum = struct.unpack_from('<HH', b, 58)
for i in range(shnum):
    sh = struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize)
    if sh[1] == 2:  # SHT_SYMTAB
        for off in range(sh[4], sh[4] + sh[5], 24):
            v, = struct.unpack_from('<Q', b, off + 8)
            if v >> 48 == 0xffff:
                struct.pack_into('<Q', b, off + 8, v + 0x1000)
open(sys.argv[2], 'wb').write(b)
PYEOF
		"$VMCARVE" list "$INPUT" --xen-syms "$WORK/xen-syms-other" > "$WORK/other.txt" 2>&1
		rc=$?
		if [ $rc = 1 ] && grep -q 'does not match.*embedded in the dump' "$WORK/other.txt"; then
			acc_pass "a xen-syms of another build is refused: $(grep -m1 -o 'does not match.*differ' "$WORK/other.txt")"
		else
			acc_fail "a xen-syms of another build: rc $rc: $(head -2 "$WORK/other.txt" | tr '\n' ' ')"
		fi
	fi
	acc_finish
fi

extract elf --format elf
extract kdump-lzo -l
if [ "$SRC" = kdump ] && [ -n "$XENSYMS" ]; then
	extract kdump-zstd -z --xen-syms "$XENSYMS"
else
	extract kdump-zstd -z
fi
# every output carries per-vCPU registers: the running vCPUs are known from the symbols
# (--xen-syms, or the table embedded in Xen's image)
SYMS_OUTS=" elf kdump-lzo kdump-zstd "

# ---- pages -------------------------------------------------------------------------------
check_markers "${OUTS[@]}"
[ -s "$WORK/elf" ] && check_p2m elf
MFNDUMP=$BED/info/xen-mfndump-p2m-dom$DOMID.txt
if [ "$REF" != - ] && [ -s "$BED/$REF" ]; then
	[ -s "$MFNDUMP" ] || acc_fail "no $MFNDUMP: the page tables of $REF cannot be told"
	for o in "${OUTS[@]}"; do
		[ -s "$MFNDUMP" ] || break
		r=$("$PY" "$HERE/xen_pv_canon.py" "$COMMON" "$BED/$REF" "$MFNDUMP" "$WORK/$o" 2>&1 | tail -1)
		case $r in *'-> PASS'*) acc_pass "xc_core pages vs $o: $r" ;; *) acc_fail "xc_core vs $o: $r" ;; esac
	done
fi

# ---- drgn and gdb (no Xen knowledge: they follow the canonical page tables) ----------------
for o in "${OUTS[@]}"; do
	check_drgn "$o"
done
[ -s "$WORK/elf" ] && check_gdb elf

# ---- crash -------------------------------------------------------------------------------
printf '%s\n' sys log 'bt -a' 'kmem -i' ps mod q > "$WORK/cmds"
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
	acc_crash_job "$WORK/cmds" "$dump" "$WORK/$s.crash" >> "$WORK/jobs"
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
	# mod reads the module list in vmalloc space: through the page tables and the note's p2m
	grep -qE '^ +MODULE +NAME|no modules installed' "$c" || acc_fail "$what: mod printed no module list"
	grep -q "cannot access vmalloc'd module memory" "$c" && acc_fail "$what: crash cannot access vmalloc'd module memory"
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
