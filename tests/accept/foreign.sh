#!/bin/bash
# tests/accept/foreign.sh VMCARVE
#
# No tenant gets another tenant's memory: `vmcarve split` every guest of the genuine host
# dumps of both test beds (KVM: host-kdump.vmcore; Xen: xen-kdump.vmcore) and count foreign
# pages in every output; the test passes only when every guest's own marker pages are all
# there and the foreign count is 0 everywhere.
#   KVM (guest-physical outputs): every page is scanned for ground-truth marker pages
#     (verify-markers --scan --strict): a marker page of any other label (the other guest,
#     the host's own) is foreign.
#   Xen (PV outputs in pfn space): each output pfn is taken to its machine frame through the
#     domain's own truth p2m; a frame that another domain's p2m maps is foreign
#     (foreign_xen.py). Other domains' marker pages at frames no other domain owns are
#     copies in the domain's own memory (dom0 ran `xl dump-core`) and are counted, not failed.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_init foreign "$@"
acc_shared
VERIFY="$PY $SHARED/testbed/common/verify-markers"
[ -f "$SHARED/testbed/common/verify-markers" ] || acc_skip "verify-markers is not there"
total_foreign=0

# scan OUTPUT MANIFEST: own markers complete, other labels' marker pages counted
scan() {
	local out=$1 man=$2 log=$1.scan foreign own
	$VERIFY --scan --strict -q -m "$man" "$out" > "$log" 2>&1
	local rc=$?
	own=$(sed -n 's/^RESULT label=\([^ ]*\) .*/\1/p' "$log" | head -1)
	foreign=$(awk -v own="$own" '/^SCAN label=/ { split($2, l, "="); split($4, f, "="); if (l[2] != own) n += f[2] } END { print n + 0 }' "$log")
	total_foreign=$((total_foreign + foreign))
	if [ $rc = 0 ] && [ "$foreign" = 0 ]; then
		acc_pass "$(basename "$out"): own markers ($own) complete, foreign pages 0: $(grep '^TOTAL' "$log")"
	else
		acc_fail "$(basename "$out"): rc $rc, foreign pages $foreign: $(grep -E '^(SCAN|RESULT|TOTAL)' "$log" | tr '\n' ' ')"
	fi
}

# ---- KVM: guests are found by list; names map to the bed's labels through their pids ----------
"$VMCARVE" list --json "$INPUT" > "$WORK/kvm.json" 2> "$WORK/kvm.list.log" || acc_fail "kvm list: $(tail -1 "$WORK/kvm.list.log")"
t0=$EPOCHREALTIME
if "$VMCARVE" split -q "$INPUT" -o "$WORK/kvm" -c > "$WORK/kvm.split.log" 2>&1; then
	acc_log "kvm: split in $(acc_since "$t0") s: $(ls "$WORK/kvm" | tr '\n' ' ')"
	for name in $(awk '$1 ~ /^name=guest/ { sub("name=", "", $1); print $1 }' "$BED/truth/domains.txt"); do
		id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/kvm.json" "$BED/truth/domains.txt" "$name") || { acc_fail "kvm: list does not show $name"; continue; }
		out=$(ls "$WORK/kvm/$id".kdump "$WORK/kvm/$id"-*.kdump 2> /dev/null | head -1)
		[ -n "$out" ] || { acc_fail "kvm: no output for $name (id $id)"; continue; }
		scan "$out" "$BED/truth/truth-$name.txt"
	done
else
	acc_fail "kvm: split: $(tail -2 "$WORK/kvm.split.log")"
fi

# ---- Xen: outputs are named by domain id; PV outputs are in pfn space (markers at their pfn) ---
XBED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen) || acc_skip "the Xen test bed's outputs are not there"
t0=$EPOCHREALTIME
if "$VMCARVE" split -q "$XBED/xen-kdump.vmcore" -o "$WORK/xen" -c > "$WORK/xen.split.log" 2>&1; then
	acc_log "xen: split in $(acc_since "$t0") s: $(ls "$WORK/xen" | tr '\n' ' ')"
	while read -r line; do
		field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $line"; }
		name=$(field name) domid=$(field domid)
		out=$(ls "$WORK/xen/$domid".kdump "$WORK/xen/$domid"-*.kdump 2> /dev/null | head -1)
		[ -n "$out" ] || { acc_fail "xen: no output for $name (domain $domid)"; continue; }
		res=$($VERIFY -q -m "$XBED/$(field manifest)" "$out" 2>&1 | grep '^TOTAL')
		case $res in *"-> PASS"*) acc_pass "$(basename "$out"): own markers ($name): $res" ;; *) acc_fail "$(basename "$out"): own markers ($name): ${res:-verify-markers failed}" ;; esac
		res=$(VMCARVE_COMMON=$SHARED/testbed/common "$PY" "$HERE/foreign_xen.py" "$out" "$name" "$XBED" 2>&1)
		n=$(sed -n 's/.* foreign=\([0-9]*\) .*/\1/p' <<< "$res")
		total_foreign=$((total_foreign + ${n:-0}))
		case $res in *"-> PASS"*) acc_pass "$(basename "$out"): $res" ;; *) acc_fail "$(basename "$out"): ${res:-foreign_xen.py failed}" ;; esac
	done < <(grep '^name=' "$XBED/truth/domains.txt")
else
	acc_fail "xen: split: $(tail -2 "$WORK/xen.split.log")"
fi
acc_info "foreign pages in all outputs: $total_foreign"
acc_finish
