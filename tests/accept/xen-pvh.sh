#!/bin/bash
# tests/accept/xen-pvh.sh VMCARVE
#
# The PVH domUs of the second Xen bed (scripts/testbed-outputs xen-pvh: a PV and a PVH domU
# under -cpu qemu64,+npt, i.e. AMD SVM with nested paging), each carved from the genuine Xen
# kdump (xen-kdump.vmcore) and from the whole-machine QEMU dump (host-qemu.elf), both without
# --xen-syms (Xen's embedded symbol table), to ELF and to kdump-lzo. The domains are read from
# the bed's truth/domains.txt (type column), never assumed. Checks per domain and source:
#   * `vmcarve list`: type PVH (d->arch.emulation_flags), the vCPUs, the p2m form NPT on the
#     bed's AMD CPU (EPT were it Intel); list -v gives every vCPU's rip;
#   * verify-markers: 100 % of the marker pages at their gfn (the outputs are guest-physical);
#   * every page of Xen's own `xl dump-core` (dumps/<name>.xc_core, .xen_pfn gfn list) equals
#     the output's page at that gfn (compare-ref through the truth map taken as the identity);
#     from the kdump, taken after xl dump-core, the shared_info page alone may differ (Xen
#     updates it: wallclock and time), and is then named;
#   * the registers in the ELF output's vCPU notes (GPRs, rip, rsp, rflags, selectors, fs/gs
#     base, CR0/3/4, GDT/IDT base, kernel GS base) equal Xen's HVM save records of the paused
#     domain (info/xen-hvmctx-<name>.txt) (xen_hvm_regs.py);
#   * drgn unwinds a stack from every vCPU note, frame 0 at the carved rip, and every task's
#     stack (xen_hvm_drgn.py); crash 8.0.2 + vmlinux: sys (RELEASE, TASKS as crash shows on
#     the xl dump-core file), bt -a (a backtrace for every vCPU from its carved registers),
#     log | tail (kernel log lines).
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
ACC_NAME=xen-pvh
acc_vmcarve "${1:-}"
"$PY" -c 'import kdumpfile' 2> /dev/null || acc_skip "$PY cannot import kdumpfile"
acc_bed xen-pvh
acc_markers
acc_workdir

# the p2m form the bed's CPU gives: AMD with nested paging (params.txt "CPU=qemu64,+npt")
case $(grep -o 'CPU=[^ ]*' "$BED/params.txt") in
*npt*) FORM=NPT ;;
*) acc_skip "the bed's CPU ($(grep -o 'CPU=[^ ]*' "$BED/params.txt")) has no nested paging: no PVH domU" ;;
esac
PVH=$(awk '/^name=/ && / type=pvh( |$)/ { sub("name=", "", $1); print $1 }' "$BED/truth/domains.txt")
[ -n "$PVH" ] || acc_die "$BED/truth/domains.txt names no PVH domain"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
# gfn_of MFN: the gfn the truth map ($DOM.p2m.txt, "R gfn mfn n") gives that machine frame
gfn_of() {
	local r g m n
	[ -n "$1" ] || return 0
	while read -r r g m n; do
		[ "$r" = R ] && (($1 >= m && $1 < m + n)) && { printf '0x%x\n' $((g + $1 - m)); return 0; }
	done < "$BED/truth/$DOM.p2m.txt"
}
SESS=()
for DOM in $PVH; do
	line=$(grep "^name=$DOM " "$BED/truth/domains.txt")
	DOMID=$(field domid) VCPUS=$(field vcpus) REF=$BED/$(field reference)
	CTX=$BED/info/xen-hvmctx-$DOM.txt
	awk '/^R / { print $1, $2, $2, $4; next } { print }' "$BED/truth/$DOM.p2m.txt" > "$WORK/$DOM.identity.txt"
	for SRC in kdump qemu; do
		case $SRC in kdump) INPUT=$BED/xen-kdump.vmcore ;; qemu) INPUT=$BED/host-qemu.elf ;; esac
		tag=$DOM-$SRC
		acc_log "$tag: domain $DOM = id $DOMID ($VCPUS vCPUs) from $(basename "$INPUT")"
		# ---- list ----------------------------------------------------------------------
		"$VMCARVE" list "$INPUT" > "$WORK/$tag.list" 2>&1 || acc_fail "$tag: vmcarve list exited $?: $(grep -m2 -i error "$WORK/$tag.list" | tr '\n' ' ')"
		row=$(awk -v id="$DOMID" '$1 == id' "$WORK/$tag.list")
		# ID NAME TYPE HOSTNAME RELEASE STATE VCPUS EXPECTED MAPPED PRESENT MAX-GFN METHOD
		read -r _ _ type _ _ _ nv _ mapped _ _ method <<< "$row"
		if [ "$type" = PVH ] && [ "$nv" = "$VCPUS" ] && [[ $method == *"($FORM"* ]]; then
			acc_pass "$tag list: $type, $nv vCPUs, $mapped pages, $method"
		else
			acc_fail "$tag list: row '$row' (want PVH, $VCPUS vCPUs, a $FORM p2m)"
		fi
		"$VMCARVE" list -v "$INPUT" > "$WORK/$tag.list-v" 2>&1
		regs=$(awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^vcpu[0-9]+\.rip=/' "$WORK/$tag.list-v")
		if [ "$(wc -l <<< "$regs")" = "$VCPUS" ] && [ -n "$regs" ]; then
			acc_pass "$tag list -v: $(tr '\n' ' ' <<< "$regs")"
		else
			acc_fail "$tag list -v: registers of $VCPUS vCPUs wanted: '$regs' $(grep -m2 'registers' "$WORK/$tag.list-v" | tr '\n' ' ')"
		fi
		shinfo_mfn=$(awk -v id="$DOMID" '/^\[guest / { g = ($2 == id "]") } g && /^shared_info=/' "$WORK/$tag.list-v" | sed -n 's/.*(mfn \(0x[0-9a-f]*\)).*/\1/p')
		# ---- outputs -------------------------------------------------------------------
		for fmt in elf kdump-lzo; do
			o=$WORK/$tag.$fmt
			args=(--format elf)
			[ $fmt = kdump-lzo ] && args=(-l)
			t0=$EPOCHREALTIME
			if ! "$VMCARVE" extract -q "$INPUT" --domain "$DOMID" -o "$o" "${args[@]}" > "$o.log" 2>&1 || [ ! -s "$o" ]; then
				acc_fail "$tag extract -> $fmt: $(tail -2 "$o.log" | tr '\n' ' ')"
				continue
			fi
			acc_log "extracted $tag.$fmt in $(acc_since "$t0") s, $(du -h "$o" | cut -f1)"
			r=$("$COMMON/verify-markers" -q -m "$BED/truth/truth-$DOM.txt" "$o" 2>&1 | grep '^TOTAL')
			case $r in *'-> PASS'*) acc_pass "$tag.$fmt markers at their gfn: $r" ;; *) acc_fail "$tag.$fmt markers: ${r:-verify-markers failed}" ;; esac
			r=$("$PY" "$COMMON/compare-ref.py" --max-report 5 "$REF" "$o" "$WORK/$DOM.identity.txt" 2>&1)
			res=$(tail -1 <<< "$r")
			diffs=$(grep -o 'differs: ref frame 0x[0-9a-f]*' <<< "$r" | awk '{ print $4 }' | sort -u)
			shinfo_gfn=$(gfn_of "$shinfo_mfn")
			if [[ $res == *'-> PASS'* ]]; then
				acc_pass "$tag.$fmt = xl dump-core page by page: $res"
			elif [ $SRC = kdump ] && [ -n "$shinfo_gfn" ] && [ "$diffs" = "$shinfo_gfn" ] && [[ $res == *' different=1 missing-in-dump=0 '* ]]; then
				acc_pass "$tag.$fmt = xl dump-core page by page but shared_info (gfn $shinfo_gfn, which Xen updates after the dump-core): $res"
			else
				acc_fail "$tag.$fmt vs xl dump-core: $res $(grep -m3 'differs\|missing' <<< "$r" | tr '\n' ' ')"
			fi
			SESS+=("$tag.$fmt")
		done
		# ---- registers, drgn -----------------------------------------------------------
		if [ -s "$WORK/$tag.elf" ]; then
			if [ -s "$CTX" ]; then
				r=$("$PY" "$HERE/xen_hvm_regs.py" "$WORK/$tag.elf" "$CTX" 2>&1)
				case $r in *'-> PASS'*) acc_pass "$tag registers = xen-hvmctx: $(tail -1 <<< "$r")" ;; *) acc_fail "$tag registers vs xen-hvmctx: $(tr '\n' ' ' <<< "$r")" ;; esac
			else
				acc_fail "$tag: no $CTX (Xen's HVM context of the domain)"
			fi
		fi
		for fmt in elf kdump-lzo; do
			[ -s "$WORK/$tag.$fmt" ] || continue
			# the vCPU notes' rips are read from the ELF output (the same notes as in the kdump's header)
			r=$(timeout 600 "$PY" "$HERE/xen_hvm_drgn.py" "$WORK/$tag.$fmt" "$VMLINUX" "$WORK/$tag.elf" 2>&1 | tail -1)
			case $r in *'-> PASS'*) acc_pass "drgn $tag.$fmt: $r" ;; *'not importable'*) acc_info "drgn: $r" ;; *) acc_fail "drgn $tag.$fmt: $r" ;; esac
		done
		grep -h '^vcpu[0-9]*\.rip=' <<< "$regs" | sed 's/^vcpu[0-9]*\.rip=0x\([0-9a-f]*\) .*/\1/' > "$WORK/$tag.rips"
	done
done

# ---- crash ---------------------------------------------------------------------------------
printf '%s\n' sys 'bt -a' 'log | tail' q > "$WORK/cmds"
: > "$WORK/jobs"
for s in "${SESS[@]}"; do
	acc_crash_job "$WORK/cmds" "$WORK/$s" "$WORK/$s.crash" >> "$WORK/jobs"
done
t0=$EPOCHREALTIME
acc_parallel "$WORK/jobs"
acc_log "${#SESS[@]} crash sessions in $(acc_since "$t0") s"
tasks() { grep -m1 '^ *TASKS:' "$1" | tr -d ' '; }
for s in "${SESS[@]}"; do
	c=$WORK/$s.crash rc=$(cat "$WORK/$s.crash.rc" 2> /dev/null)
	tag=${s%.*}
	DOM=${tag%-*}
	VCPUS=$(sed -n "s/^name=$DOM .* vcpus=\([0-9]*\) .*/\1/p" "$BED/truth/domains.txt")
	nbt=$(grep -c '^ #0 \[' "$c")
	nlog=$(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$c")
	# every vCPU's backtrace starts from its carved registers
	miss=
	while read -r rip; do grep -qi "^ *RIP: $rip " "$c" || miss="$miss $rip"; done < "$WORK/$tag.rips"
	if [ "$rc" != 0 ] || ! grep -q '^ *RELEASE: ' "$c"; then
		acc_fail "crash $s: rc $rc: $(grep -m3 -iE 'crash:|error|cannot' "$c" | tr '\n' ' ')"
	elif grep -q 'cannot be determined' "$c" || [ "$nbt" -lt "$VCPUS" ] || [ -n "$miss" ]; then
		acc_fail "crash $s: bt -a: $nbt backtraces for $VCPUS vCPUs, not at the carved rip:$miss"
	elif [ "$nlog" -lt 5 ]; then
		acc_fail "crash $s: log | tail printed $nlog kernel log lines"
	elif [ -s "$BED/checks/crash-$DOM.xc_core.txt" ] && [ "$(tasks "$c")" != "$(tasks "$BED/checks/crash-$DOM.xc_core.txt")" ]; then
		acc_fail "crash $s: $(tasks "$c"), but crash shows $(tasks "$BED/checks/crash-$DOM.xc_core.txt") on xl dump-core's file"
	else
		acc_pass "crash $s: $(grep -E '^ +(RELEASE|TASKS):' "$c" | tr -s ' ' | paste -sd';'); bt -a: $nbt backtrace(s) from the carved registers ($(grep -m1 'exception RIP' "$c" | tr -s ' ')$(grep -m1 '^ #0 \[' "$c" | tr -s ' ')); log: $(grep '^\[ *[0-9]*\.[0-9]*\]' "$c" | tail -1 | cut -c1-60)"
	fi
done
acc_finish
