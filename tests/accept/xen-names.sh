#!/bin/bash
# tests/accept/xen-names.sh VMCARVE
#
# Xen domain names (xenstore, read from xenstored's database in dom0's memory) and handles
# (struct domain.handle) on both Xen host dumps of the bed (xen-kdump.vmcore and
# host-qemu.elf, without --xen-syms), against what the bed recorded while the host ran:
#  * `vmcarve list --json`: every domain's name equals /local/domain/<id>/name in
#    info/xenstore-ls.txt (`xenstore-ls -f` in dom0), and each domU's equals its name in
#    truth/domains.txt (dom0's label there is the bed's own, "dom0"; Xen's is Domain-0);
#  * its uuid equals the uuid `xl list -l` gave (info/xl-list-l.json, which leaves dom0's nil
#    uuid out as libxl's JSON does with every default);
#  * `split` file names are <id>-<name> (a --dump-level 31 split: the names, not the pages, are tested);
#  * `extract --domain NAME` writes the domain of that name.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
ACC_NAME=xen-names
acc_vmcarve "$1"
BED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen) || acc_skip "the Xen test bed's outputs are not there (scripts/testbed-outputs xen builds them)"
acc_workdir
for f in info/xenstore-ls.txt info/xl-list-l.json truth/domains.txt; do
	[ -s "$BED/$f" ] || acc_die "$BED/$f is not there"
done

# the bed's records, one line per domain: domid xenstore-name truth-name uuid role
"$PY" - "$BED" > "$WORK/expect.txt" << 'EOF' || acc_die "cannot read the bed's records"
import json, re, sys
bed = sys.argv[1]
xs = {}
for line in open(bed + "/info/xenstore-ls.txt"):
    m = re.match(r'^/local/domain/(\d+)/name = "(.*)"$', line.rstrip("\n"))
    if m:
        xs[int(m.group(1))] = m.group(2)
uu = {}
for d in json.load(open(bed + "/info/xl-list-l.json")):
    # libxl's JSON leaves out fields at their default: dom0's nil uuid
    uu[int(d["domid"])] = d["config"]["c_info"].get("uuid", "00000000-0000-0000-0000-000000000000")
for line in open(bed + "/truth/domains.txt"):
    if line.startswith("#") or "domid=" not in line:
        continue
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    i = int(f["domid"])
    print(i, xs.get(i, "-"), f["name"], uu.get(i, "-"), f["role"])
EOF
[ -s "$WORK/expect.txt" ] || acc_die "no domains in $BED/truth/domains.txt"

check_list() { # HOSTFILE
	local host=$BED/$1 t0
	[ -s "$host" ] || { acc_fail "$host is not there"; return; }
	t0=$EPOCHREALTIME
	"$VMCARVE" list --json "$host" > "$WORK/$1.json" 2> "$WORK/$1.err" || { acc_fail "vmcarve list --json $1: rc $?: $(tail -2 "$WORK/$1.err")"; return; }
	acc_log "vmcarve list --json $1 in $(acc_since "$t0") s"
	while read -r id xsname tname uuid role; do
		read -r gname guuid <<< "$("$PY" -c 'import json,sys
for g in json.load(open(sys.argv[1]))["guests"]:
    if g["id"] == sys.argv[2]: print(g["name"] or "-", g.get("uuid") or "-")' "$WORK/$1.json" "$id")"
		if [ "$xsname" = - ]; then
			acc_fail "$1: domain $id has no /local/domain/$id/name in info/xenstore-ls.txt"
		elif [ "$gname" != "$xsname" ]; then
			acc_fail "$1: domain $id named '$gname', xenstore-ls says '$xsname'"
		elif [ "$role" = xen-domU ] && [ "$gname" != "$tname" ]; then
			acc_fail "$1: domain $id named '$gname', truth/domains.txt says '$tname'"
		else
			acc_pass "$1: domain $id named '$gname' = xenstore-ls$([ "$role" = xen-domU ] && echo " = truth/domains.txt")"
		fi
		if [ "$uuid" != - ] && [ "$guuid" = "$uuid" ]; then
			acc_pass "$1: domain $id uuid $guuid = xl list -l"
		else
			acc_fail "$1: domain $id uuid '$guuid', xl list -l says '$uuid'"
		fi
	done < "$WORK/expect.txt"
}
check_list xen-kdump.vmcore
check_list host-qemu.elf

# split: <id>-<name>.kdump for every domain (with --dump-level 31 and zstd, to keep it short)
"$VMCARVE" split "$BED/xen-kdump.vmcore" -o "$WORK/split" --dump-level 31 -z -q > /dev/null 2> "$WORK/split.err" ||
	acc_fail "vmcarve split: rc $?: $(tail -2 "$WORK/split.err")"
while read -r id xsname _ _ _; do
	if [ -f "$WORK/split/$id-$xsname.kdump" ]; then
		acc_pass "split wrote $id-$xsname.kdump"
	else
		acc_fail "split: no $id-$xsname.kdump in $(ls "$WORK/split" 2> /dev/null | tr '\n' ' ')"
	fi
done < "$WORK/expect.txt"
rm -rf "$WORK/split"

# extract --domain NAME: the last domU by its name
read -r id xsname _ < <(awk '$5 == "xen-domU"' "$WORK/expect.txt" | tail -1)
if [ -n "$id" ]; then
	"$VMCARVE" extract "$BED/xen-kdump.vmcore" --domain "$xsname" --dump-level 31 -z -o "$WORK/by-name.kdump" 2> "$WORK/extract.err"
	ram=$("$VMCARVE" info --json "$WORK/by-name.kdump" 2> /dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ram_pages"])')
	mapped=$("$PY" -c 'import json,sys
print(*[g["pages_mapped"] for g in json.load(open(sys.argv[1]))["guests"] if g["id"] == sys.argv[2]])' "$WORK/xen-kdump.vmcore.json" "$id")
	if grep -q "guest $id $xsname " "$WORK/extract.err" && [ -n "$ram" ] && [ "$ram" -gt 0 ] && [ "$ram" = "$mapped" ]; then
		acc_pass "extract --domain $xsname wrote domain $id: $ram RAM pages = list's pages_mapped"
	else
		acc_fail "extract --domain $xsname: RAM pages '$ram', list's pages_mapped '$mapped': $(tail -2 "$WORK/extract.err" | tr '\n' ' ')"
	fi
fi
acc_finish
