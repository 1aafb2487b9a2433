#!/bin/bash
# tests/accept/mount.sh VMCARVE - `vmcarve mount` on the KVM bed's real host dumps (issue 12).
#
# For host-kdump.vmcore (the genuine kexec kdump) and host-qemu.elf (the QEMU whole-machine
# dump), mounted with `vmcarve mount` (FUSE; a mount that fails is a failure, not a skip):
#  * the mount returns within a few seconds; list.json is what `list --json` prints; no
#    host.elf (the inputs are ELF already);
#  * every guest view is byte-identical (cmp) to `vmcarve extract --format elf` of that guest;
#  * gdb (p init_uts_ns.name.release), crash (sys, bt -a, log | tail) and drgn (init_task.comm,
#    the crashed thread's stack) open each test-bed guest's view directly;
#  * 32 concurrent readers get the extracted file's bytes (tests/tools/view_readers.py).
# Then host-kdump.makedumpfile-d31.kdump (kdump-compressed): host.elf = `convert --format elf`
# and gdb, which cannot read kdump-compressed files, reads the host kernel's release from it.
# And, when the Xen bed was built, xen-kdump.vmcore: every domain's view = extract; crash's
# sys and log on domain 1's view as on the extracted file.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_need gdb gdb
acc_need fusermount3 fuse3
"$PY" -c 'import drgn' 2> /dev/null || acc_skip "$PY cannot import drgn (apt-get install python3-drgn)"
acc_init mount "$1"
acc_vmlinux
READERS=$ACC_ROOT/tests/tools/view_readers.py
MOUNTS=()
unmount_all() {
	for m in "${MOUNTS[@]}"; do fusermount3 -u "$m" 2> /dev/null; done
	acc_cleanup
}
trap unmount_all EXIT
REL=$(strings -n 8 "$VMLINUX" 2> /dev/null | grep -m1 -o 'Linux version [^ ]*' | awk '{print $3}')

# mnt DIR ARGS...: vmcarve mount ARGS DIR, timed
mnt() {
	local dir=$1 t0
	shift
	mkdir -p "$dir"
	t0=$EPOCHREALTIME
	if ! timeout 120 "$VMCARVE" mount "$@" "$dir" > "$dir.log" 2>&1; then
		acc_fail "vmcarve mount $* $dir: $(tail -2 "$dir.log")"
		return 1
	fi
	MOUNTS+=("$dir")
	acc_pass "vmcarve mount $(basename "$1") in $(acc_since "$t0") s: $(ls "$dir" | paste -sd' ')"
}

# log | tail first: crash's own buffered output would interleave with tail's
printf 'log | tail -5\nsys\nbt -a\nquit\n' > "$WORK/crash.cmds"
check_crash() { # VIEW OUT
	timeout 400 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$1" > "$2" 2>&1
	echo $? > "$2.rc"
}
judge_crash() { # VIEW OUT
	local out=$2
	if [ "$(cat "$out.rc")" = 0 ] && grep -q "RELEASE: $REL" "$out" && grep -q 'PID: 0 .*COMMAND: "swapper/0"' "$out" &&
		grep -q '#0 \[' "$out" && [ "$(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$out")" -ge 5 ] && ! grep -qi 'invalid\|cannot\|error' "$out"; then
		acc_pass "crash on the view $1: sys/bt -a/log | tail: $(grep -E 'MEMORY:|TASKS:' "$out" | tr -s ' ' | paste -sd' '); last log line: $(grep '^\[ *[0-9]' "$out" | tail -1 | cut -c1-70)"
	else
		acc_fail "crash on the view $1 (rc $(cat "$out.rc")):"
		grep -iE 'error|invalid|cannot|RELEASE' "$out" | head -8 | sed 's/^/      /'
	fi
}

check_host() { # HOSTDUMP TAG
	local host=$1 tag=$2 dir=$WORK/m-$2 ids id v
	"$VMCARVE" list --json "$host" > "$WORK/$tag.list.json" 2> /dev/null || { acc_fail "list --json $(basename "$host")"; return; }
	mnt "$dir" "$host" || return
	cmp -s "$dir/list.json" "$WORK/$tag.list.json" && acc_pass "$tag: list.json = list --json" || acc_fail "$tag: list.json differs from list --json"
	[ -e "$dir/host.elf" ] && acc_fail "$tag: host.elf shown for an ELF input"
	ids=$("$PY" -c 'import json,sys; print(" ".join(g["id"] for g in json.load(open(sys.argv[1]))["guests"] if g["ok"]))' "$WORK/$tag.list.json")
	for id in $ids; do
		v=$(ls "$dir" | grep -m1 -E "^$id(-.*)?\.elf$")
		[ -n "$v" ] || { acc_fail "$tag: no view of guest $id: $(ls "$dir" | paste -sd' ')"; continue; }
		"$VMCARVE" extract -q "$host" --domain "$id" --format elf -o "$WORK/$tag-$id.elf" > "$WORK/$tag-$id.log" 2>&1 ||
			{ acc_fail "$tag: extract --domain $id: $(tail -2 "$WORK/$tag-$id.log")"; continue; }
		if cmp "$dir/$v" "$WORK/$tag-$id.elf" > "$WORK/cmp.out" 2>&1; then
			acc_pass "$tag: $v ($(stat -c %s "$dir/$v") bytes) = extract --format elf --domain $id"
		else
			acc_fail "$tag: $v differs from extract --domain $id: $(head -1 "$WORK/cmp.out")"
		fi
		if [ "$tag" = vmcore ]; then
			out=$("$PY" "$READERS" "$dir/$v" "$WORK/$tag-$id.elf" --reads 50) && acc_pass "$tag: $v: $out" || acc_fail "$tag: $v: $out"
		fi
		rm -f "$WORK/$tag-$id.elf"
	done
	# the bed's guests: gdb, drgn, crash on the views
	local pids=()
	for name in guest1 guest2; do
		id=$("$PY" "$HERE/kvm-guest-id.py" "$WORK/$tag.list.json" "$BED/truth/domains.txt" "$name") || { acc_fail "$tag: list does not show $name"; continue; }
		v=$dir/$(ls "$dir" | grep -m1 -E "^$id(-.*)?\.elf$")
		out=$(timeout 300 gdb -batch -nx "$VMLINUX" "$v" -ex 'p init_uts_ns.name.release' 2>&1 | grep '^\$1')
		case $out in *"\"$REL\""*) acc_pass "gdb on the $tag view of $name: $out" ;; *) acc_fail "gdb on the $tag view of $name: '$out'" ;; esac
		timeout 300 "$PY" "$HERE/drgn-probe.py" "$v" "$VMLINUX" > "$WORK/$tag-$name.drgn" 2>&1
		if grep -q '^init_task.comm=swapper/0$' "$WORK/$tag-$name.drgn" && grep -Eq '^crashed_thread=pid [0-9]+: [a-z_]' "$WORK/$tag-$name.drgn"; then
			acc_pass "drgn on the $tag view of $name: $(grep -E '^(init_task.comm|crashed_thread)=' "$WORK/$tag-$name.drgn" | paste -sd' ')"
		else
			acc_fail "drgn on the $tag view of $name: $(head -3 "$WORK/$tag-$name.drgn" | tr '\n' ' ')"
		fi
		check_crash "$v" "$WORK/$tag-$name.crash" &
		pids+=($!)
		if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
	done
	wait
	for name in guest1 guest2; do
		[ -e "$WORK/$tag-$name.crash" ] && judge_crash "$tag/$name" "$WORK/$tag-$name.crash"
	done
	timeout 30 "$VMCARVE" umount "$dir" || acc_fail "vmcarve umount $dir"
}

check_host "$BED/host-kdump.vmcore" vmcore
check_host "$BED/host-qemu.elf" qemu

# a kdump-compressed host: host.elf, and gdb reading it
D31=$BED/host-kdump.makedumpfile-d31.kdump
if [ -s "$D31" ] && mnt "$WORK/m-d31" "$D31"; then
	CONV_IN=$D31 acc_convert "$WORK/d31.elf" --format elf
	if cmp "$WORK/m-d31/host.elf" "$WORK/d31.elf" > "$WORK/cmp.out" 2>&1; then
		acc_pass "d31: host.elf ($(stat -c %s "$WORK/d31.elf") bytes) = convert --format elf"
	else
		acc_fail "d31: host.elf differs from convert --format elf: $(head -1 "$WORK/cmp.out")"
	fi
	out=$(timeout 300 gdb -batch -nx "$VMLINUX" "$WORK/m-d31/host.elf" -ex 'p init_uts_ns.name.release' 2>&1 | grep '^\$1')
	case $out in *"\"$REL\""*) acc_pass "gdb on host.elf of the kdump-compressed host dump: $out" ;; *) acc_fail "gdb on host.elf of $(basename "$D31"): '$out'" ;; esac
	timeout 30 "$VMCARVE" umount "$WORK/m-d31" || acc_fail "vmcarve umount $WORK/m-d31"
fi

# the Xen bed's genuine kdump (when it was built): every domain's view = extract, crash on a domU's
XBED=$("$ACC_ROOT/scripts/testbed-outputs" --no-build xen 2> /dev/null)
XVMLINUX=$("$ACC_ROOT/scripts/testbed-outputs" --no-build --vmlinux xen 2> /dev/null)
XHOST=$XBED/xen-kdump.vmcore
if [ -z "$XBED" ] || [ ! -s "$XHOST" ] || [ -z "$XVMLINUX" ]; then
	acc_info "no Xen bed outputs: the Xen part is not run"
elif mnt "$WORK/m-xen" "$XHOST"; then
	"$VMCARVE" list --json "$XHOST" > "$WORK/xen.list.json" 2> /dev/null
	cmp -s "$WORK/m-xen/list.json" "$WORK/xen.list.json" && acc_pass "xen: list.json = list --json" || acc_fail "xen: list.json differs from list --json"
	for id in $("$PY" -c 'import json,sys; print(" ".join(g["id"] for g in json.load(open(sys.argv[1]))["guests"] if g["ok"]))' "$WORK/xen.list.json"); do
		v=$(ls "$WORK/m-xen" | grep -m1 -E "^$id(-.*)?\.elf$")
		[ -n "$v" ] || { acc_fail "xen: no view of domain $id"; continue; }
		"$VMCARVE" extract -q "$XHOST" --domain "$id" --format elf -o "$WORK/xen-$id.elf" > /dev/null 2>&1 || { acc_fail "xen: extract --domain $id"; continue; }
		cmp "$WORK/m-xen/$v" "$WORK/xen-$id.elf" > "$WORK/cmp.out" 2>&1 && acc_pass "xen: $v ($(stat -c %s "$WORK/xen-$id.elf") bytes) = extract --format elf --domain $id" ||
			acc_fail "xen: $v differs from extract --domain $id: $(head -1 "$WORK/cmp.out")"
		rm -f "$WORK/xen-$id.elf"
	done
	# crash on a PV domU's view: sys and the log as on the extracted file (the whole output, but
	# the DUMPFILE line, identical; bt -a of a PV domain's ELF is crash's limit, see xen.sh)
	v=$WORK/m-xen/$(ls "$WORK/m-xen" | grep -m1 -E '^1(-.*)?\.elf$')
	printf 'log | tail -5\nsys\nquit\n' > "$WORK/xen.cmds"
	"$VMCARVE" extract -q "$XHOST" --domain 1 --format elf -o "$WORK/xen-1.elf" > /dev/null 2>&1
	for f in "$v" "$WORK/xen-1.elf"; do
		timeout 400 crash -s -i "$WORK/xen.cmds" "$XVMLINUX" "$f" 2>&1 | grep -v DUMPFILE > "$WORK/$(basename "$f").xcrash"
	done
	c=$WORK/$(basename "$v").xcrash
	if grep -q '^ *RELEASE: [0-9]' "$c" && [ "$(grep -c '^\[ *[0-9]*\.[0-9]*\]' "$c")" -ge 5 ] && cmp -s "$c" "$WORK/xen-1.elf.xcrash"; then
		acc_pass "crash on the xen view of domain 1: log | tail, sys as on the extracted file: $(grep -E 'RELEASE:|MEMORY:' "$c" | tr -s ' ' | paste -sd' ')"
	else
		acc_fail "crash on the xen view of domain 1: $(diff "$c" "$WORK/xen-1.elf.xcrash" | head -5 | tr '\n' ' ')"
	fi
	rm -f "$WORK/xen-1.elf"
	timeout 30 "$VMCARVE" umount "$WORK/m-xen" || acc_fail "vmcarve umount $WORK/m-xen"
fi
acc_finish
