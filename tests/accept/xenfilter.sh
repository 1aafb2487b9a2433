#!/bin/bash
# tests/accept/xenfilter.sh VMCARVE kdump|qemu
#
# The dump level on a real Xen host (the Xen bed: xen-kdump.vmcore, Xen 4.17's own kdump, or
# host-qemu.elf, QEMU's whole-machine dump; no --xen-syms: the symbols embedded in Xen). No
# tool filters a Xen 4.17 dump (makedumpfile's Xen support predates its page_info layout), so:
#  (a) dom0 is filtered by its own struct pages through its p2m: the frames `convert -d 31` of
#      the whole host keeps of dom0 are those `extract --domain 0 --dump-level 31` keeps of
#      dom0's standalone dump, mapped through the bed's truth p2m (crash's reading of dom0's
#      p2m list), frame for frame and byte for byte. The one allowed difference: the bytes of
#      dom0's page tables, which the standalone PV output rewrites to pseudo-physical frames
#      (at most the number list -v reports canonicalised). Frames past dom0's last mem_map
#      section (not in the truth p2m) are kept in the host output, as makedumpfile's Xen path
#      does, and left out of the standalone dump, as makedumpfile does for a Linux dump.
#  (b) without --keep-guests, -d 31 leaves every domU out (as makedumpfile -X): list shows
#      each domU with 0 pages present and dom0 with what (a) keeps;
#  (c) `convert -d 31 --keep-guests`, then `split` of that file: the same file names as split
#      of the unfiltered host, xenstore's domain names included (their records sit in dom0's
#      user memory, which -d 31 drops, and --keep-guests keeps); every domU 100 % of its
#      marker pages at their pfn; dom0's markers (user memory of a dom0 process) are gone, as
#      -d 8 wants; each domU's output is byte-identical to its split of the unfiltered host;
#      crash 8.0.2 opens every domain's output (sys RELEASE, log, bt -a, kmem -i,
#      ps: TASKS as on the unfiltered split of the same dump).
# Sizes of the host output unfiltered, -d 31 and -d 31 --keep-guests are reported.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
SRC=${2:-kdump}
case $SRC in kdump | qemu) ;; *) echo "usage: $0 VMCARVE kdump|qemu"; exit 2 ;; esac
acc_need crash crash
ACC_NAME="xenfilter-$SRC"
acc_vmcarve "$1"
acc_bed xen
acc_markers
acc_workdir
case $SRC in kdump) INPUT=$BED/xen-kdump.vmcore ;; qemu) INPUT=$BED/host-qemu.elf ;; esac
acc_log "$ACC_NAME: $INPUT, scratch $WORK"
DOM0_P2M=$BED/$(sed -n 's/.* role=xen-dom0 .* map=\([^ ]*\).*/\1/p' "$BED/truth/domains.txt")
[ -s "$DOM0_P2M" ] || acc_die "no dom0 p2m in $BED/truth/domains.txt"

acc_convert "$WORK/host0" -l || acc_finish
acc_convert "$WORK/host31" -l -d 31 || acc_finish
acc_convert "$WORK/host31k" -l -d 31 --keep-guests || acc_finish
size() { stat -c %s "$1"; }
acc_info "host output sizes (kdump lzo): unfiltered $(size "$WORK/host0"), -d 31 $(size "$WORK/host31"), -d 31 --keep-guests $(size "$WORK/host31k") bytes (input $(size "$INPUT"))"

# ---- (a) dom0: the host filter through the p2m = dom0's standalone filter ------------------
if "$VMCARVE" extract -q "$INPUT" --domain 0 --dump-level 31 -l -o "$WORK/dom0-31" > "$WORK/dom0-31.log" 2>&1 &&
	"$VMCARVE" list -v "$INPUT" > "$WORK/list-v.txt" 2>&1; then
	# dom0 is the first domain list -v reports
	npt=$(grep -m1 '^ *pv.page_tables=' "$WORK/list-v.txt" | sed 's/.*pv.page_tables=\([0-9]*\).*/\1/')
	"$VMCARVE" manifest "$WORK/host31" > "$WORK/host31.man" 2> /dev/null
	"$VMCARVE" manifest "$WORK/dom0-31" > "$WORK/dom0-31.man" 2> /dev/null
	if "$PY" "$HERE/xen_filter_cmp.py" "$WORK/host31.man" "$WORK/dom0-31.man" "$DOM0_P2M" "${npt:-0}" > "$WORK/cmp.txt" 2>&1; then
		acc_pass "dom0 -d 31 on the whole host = dom0's standalone -d 31 through the p2m: $(head -1 "$WORK/cmp.txt" | sed 's/^xen_filter_cmp: //')"
	else
		acc_fail "dom0 -d 31 on the whole host differs from dom0's standalone -d 31:"
		head -30 "$WORK/cmp.txt" | sed 's/^/      /'
	fi
	rm -f "$WORK/host31.man" "$WORK/dom0-31.man"
else
	acc_fail "extract --domain 0 --dump-level 31 or list -v failed: $(tail -2 "$WORK/dom0-31.log" | tr '\n' ' ')"
fi

# ---- (b) without --keep-guests the domUs are gone, dom0 stays ------------------------------
"$VMCARVE" list "$INPUT" > "$WORK/list0.txt" 2> /dev/null
"$VMCARVE" list "$WORK/host31" > "$WORK/list31.txt" 2> /dev/null
# ID NAME TYPE HOSTNAME RELEASE STATE VCPUS EXPECTED MAPPED PRESENT: PRESENT is field 10
present() { awk -v id="$2" '$1 == id { print $10; exit }' "$1"; }
while read -r line; do
	id=$(sed -n 's/.* domid=\([0-9]*\) .*/\1/p' <<< "$line") role=$(sed -n 's/.* role=\([^ ]*\) .*/\1/p' <<< "$line")
	p0=$(present "$WORK/list0.txt" "$id") p31=$(present "$WORK/list31.txt" "$id")
	if [ "$role" = xen-domU ] && [ "$p31" = 0 ] && [ "${p0:-0}" -gt 0 ]; then
		acc_pass "-d 31 without --keep-guests: domain $id has 0 of its $p0 pages present"
	elif [ "$role" = xen-dom0 ] && [ "${p31:-0}" -gt 0 ] && [ "$p31" -lt "${p0:-0}" ]; then
		acc_pass "-d 31 without --keep-guests: dom0 keeps $p31 of its $p0 pages (filtered by its own kernel)"
	else
		acc_fail "-d 31 without --keep-guests: domain $id ($role): $p31 pages present of $p0"
	fi
done < <(grep '^name=' "$BED/truth/domains.txt")

# ---- (c) --keep-guests, then split: markers and crash ---------------------------------------
if "$VMCARVE" split -q -l "$WORK/host31k" -o "$WORK/split31k" > "$WORK/split31k.log" 2>&1 &&
	"$VMCARVE" split -q -l "$INPUT" -o "$WORK/split0" > "$WORK/split0.log" 2>&1; then
	printf '%s\n' sys log 'bt -a' 'kmem -i' ps q > "$WORK/cmds"
	# the names come from xenstore (xenstored's database in dom0's user memory): --keep-guests
	# keeps the frames they were read from, so both splits name every output alike
	names0=$(cd "$WORK/split0" && ls | paste -sd' ') names31k=$(cd "$WORK/split31k" && ls | paste -sd' ')
	if [ "$names31k" = "$names0" ] && [ "$(grep -c '^name=.* role=xen-domU ' "$BED/truth/domains.txt")" -gt 0 ] &&
		! grep -qE '(^| )[0-9]+\.kdump( |$)' <<< "$names0"; then
		acc_pass "split of the -d 31 --keep-guests host names its outputs as split of the unfiltered host: $names31k"
	else
		acc_fail "split file names differ: -d 31 --keep-guests host '$names31k', unfiltered host '$names0' (or a domain has no name)"
	fi
	: > "$WORK/jobs"
	declare -A OUT
	while read -r line; do
		name=$(sed -n 's/^name=\([^ ]*\) .*/\1/p' <<< "$line") id=$(sed -n 's/.* domid=\([0-9]*\) .*/\1/p' <<< "$line")
		role=$(sed -n 's/.* role=\([^ ]*\) .*/\1/p' <<< "$line")
		f=$(cd "$WORK/split31k" && ls | grep -E "^$id(-.*)?\.kdump$" | head -1)
		f0=$(cd "$WORK/split0" && ls | grep -E "^$id(-.*)?\.kdump$" | head -1)
		[ -n "$f" ] && [ -n "$f0" ] && [ -s "$WORK/split0/$f0" ] || { acc_fail "split wrote no output for domain $id (filtered host: '$f', unfiltered: '$f0')"; continue; }
		OUT[$id]=$f
		r=$("$COMMON/verify-markers" -q -m "$BED/truth/truth-$name.txt" "$WORK/split31k/$f" 2>&1 | grep '^TOTAL')
		if [ "$role" = xen-domU ]; then
			case $r in *'-> PASS'*) acc_pass "domU $id after -d 31 --keep-guests + split: markers $r" ;; *) acc_fail "domU $id markers: ${r:-verify-markers failed}" ;; esac
		else
			case $r in *' ok=0 '*' wrong=0 '*) acc_pass "dom0 after -d 31: its user-memory markers are left out ($r)" ;; *) acc_fail "dom0 markers after -d 31: ${r:-verify-markers failed} (expected none: they are user data)" ;; esac
		fi
		if [ "$role" = xen-domU ]; then
			# every frame the carver reads for a domU is its own or Xen's: the output is the same
			if cmp -s "$WORK/split31k/$f" "$WORK/split0/$f0"; then
				acc_pass "domU $id: split of the -d 31 --keep-guests host is byte-identical to split of the unfiltered host ($(size "$WORK/split0/$f0") bytes)"
			else
				acc_fail "domU $id: split of the -d 31 --keep-guests host differs from split of the unfiltered host: $(cmp "$WORK/split31k/$f" "$WORK/split0/$f0" 2>&1 | head -1)"
			fi
		else
			acc_info "dom0 split output: $(size "$WORK/split31k/$f") bytes from the -d 31 --keep-guests host, $(size "$WORK/split0/$f0") from the unfiltered one"
		fi
		acc_crash_job "$WORK/cmds" "$WORK/split31k/$f" "$WORK/split31k-$id.crash" >> "$WORK/jobs"
		acc_crash_job "$WORK/cmds" "$WORK/split0/$f0" "$WORK/split0-$id.crash" >> "$WORK/jobs"
	done < <(grep '^name=' "$BED/truth/domains.txt")
	t0=$EPOCHREALTIME
	acc_parallel "$WORK/jobs"
	acc_log "crash sessions in $(acc_since "$t0") s"
	tasks() { grep -m1 '^ *TASKS:' "$1" | tr -d ' '; }
	for id in "${!OUT[@]}"; do
		c=$WORK/split31k-$id.crash
		rc=$(cat "$WORK/split31k-$id.crash.rc" 2> /dev/null)
		if [ "$rc" != 0 ] || ! grep -q '^ *RELEASE: ' "$c"; then
			acc_fail "crash on domain $id (-d 31 --keep-guests, split): rc $rc: $(grep -m3 -iE 'crash:|error|cannot' "$c" | tr '\n' ' ')"
			continue
		fi
		bad=
		grep -q 'Linux version' "$c" || bad+=" no 'Linux version' in log;"
		grep -q 'TOTAL MEM' "$c" || bad+=" no kmem -i TOTAL MEM;"
		grep -q '^PID: ' "$c" || bad+=" bt -a printed no task;"
		[ "$(tasks "$c")" = "$(tasks "$WORK/split0-$id.crash")" ] || bad+=" $(tasks "$c") but $(tasks "$WORK/split0-$id.crash") unfiltered;"
		if [ -n "$bad" ]; then
			acc_fail "crash on domain $id (-d 31 --keep-guests, split):$bad"
		else
			acc_pass "crash on domain $id (-d 31 --keep-guests, split): $(grep -E '^ +(RELEASE|TASKS):' "$c" | tr -s ' ' | paste -sd';'); $(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$c") log lines; TASKS as unfiltered"
		fi
	done
else
	acc_fail "split failed: $(tail -2 "$WORK/split31k.log" "$WORK/split0.log" | tr '\n' ' ')"
fi
acc_finish
