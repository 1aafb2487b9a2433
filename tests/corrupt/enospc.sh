#!/bin/bash
# enospc.sh: vmcarve convert into a file system that fills up, and from a read-only one.
#   enospc.sh VMCARVE MKFIXTURE WORKDIR
# An 8 MiB ELF vmcore (enospc.spec) is converted into a 1 MiB tmpfs:
#   * kdump (lzo, 2 threads; zstd, 1 thread): exit 3, one warning line naming the output and
#     ENOSPC; the file is in place, no temporary file beside it; header status has INCOMPLETE;
#     `vmcarve info` reads it; the pages `vmcarve manifest` lists as stored are some but not
#     all, with the input's hashes; libkdumpfile (tests/fixtures/xcheck.py) reads exactly
#     those pages equal to the generator's ground truth and lints the structure; crash reads
#     the header;
#   * kdump into a 32 KiB tmpfs (no room for the descriptor table): exit 1, nothing left;
#   * ELF and flat: exit 1, one line naming the output, ENOSPC and "removed"; nothing left.
# Then the input on a read-only tmpfs: info, manifest and convert work (inputs are opened
# O_RDONLY; an O_RDWR open would fail with EROFS).
# Needs root for mount: exits 77 (skipped) with the reason when tmpfs cannot be mounted.
set -u
export LC_ALL=C
V=$1 G=$2 W=$3
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
XCHECK=$here/../fixtures/xcheck.py
nfail=0
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
ok() { echo "ok: $*"; }

rm -rf "$W"
mkdir -p "$W/mnt" "$W/ro" || exit 1
W=$(cd "$W" && pwd)
mounted=()
cleanup() { for m in "${mounted[@]}"; do umount "$m" 2>/dev/null; done; }
trap cleanup EXIT
mnt() { # mnt SIZE DIR
	if ! mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$2" 2> "$W/mount.err"; then
		echo "SKIP: cannot mount a tmpfs ($(head -1 "$W/mount.err"); needs root): the disk-full test did not run"
		exit 77
	fi
	mounted+=("$2")
}

"$G" "$here/enospc.spec" "$W/in" > /dev/null && "$G" --dump-pages "$here/enospc.spec" > "$W/truth" ||
	{ echo "mkfixture failed"; exit 1; }
IN=$W/in
M=$W/mnt

# one stderr line that names the output and says ENOSPC
one_line() { # one_line WHAT ERRFILE OUT
	local n
	n=$(wc -l < "$2")
	[ "$n" = 1 ] || { fail "$1: $n stderr lines, expected 1: $(head -3 "$2" | tr '\n' '|')"; return 1; }
	grep -qF "$3" "$2" && grep -q 'No space left on device' "$2" && grep -q 'offset 0x' "$2" ||
		{ fail "$1: the line does not name the output, its offset and ENOSPC: $(cat "$2")"; return 1; }
	return 0
}

kdump_full() { # kdump_full WHAT CONVERT-OPTIONS...
	local what=$1; shift
	local out=$M/$what.kdump rc
	mnt 1m "$M"
	"$V" convert "$IN" -o "$out" -q "$@" 2> "$W/$what.err"
	rc=$?
	echo "$what: exit $rc: $(head -1 "$W/$what.err")"
	[ $rc = 3 ] || fail "$what: exit $rc, expected 3 (incomplete output)"
	one_line "$what" "$W/$what.err" "$out" && grep -q 'INCOMPLETE' "$W/$what.err" || fail "$what: the line does not say INCOMPLETE"
	[ "$(ls -A "$M")" = "$what.kdump" ] || fail "$what: the file system holds: $(ls -A "$M" | tr '\n' ' ')"
	if [ -f "$out" ]; then
		local status
		status=$(od -An -tu4 -j424 -N4 "$out" | tr -d ' ')
		[ $((status & 8)) = 8 ] && ok "$what: header status 0x$(printf %x "$status") has INCOMPLETE" ||
			fail "$what: header status 0x$(printf %x "$status") lacks INCOMPLETE (0x8)"
		"$V" info "$out" > "$W/$what.info" 2>&1 && grep -q 'marked incomplete' "$W/$what.info" &&
			ok "$what: vmcarve info reads it and says incomplete" || fail "$what: vmcarve info: $(head -3 "$W/$what.info")"
		if "$V" manifest "$out" > "$W/$what.man" 2> "$W/$what.man.err"; then
			local kept miss wrong
			kept=$(grep -vc -e ' missing$' -e ' excluded$' "$W/$what.man")
			miss=$(grep -c ' missing$' "$W/$what.man")
			# every stored page has the input's hash
			wrong=$(awk 'NR == FNR { h[$1] = $2; next } $2 != "missing" && $2 != "excluded" && h[$1] != $2' \
				"$W/in.manifest" "$W/$what.man" | wc -l)
			echo "$what: $kept pages kept, $miss missing"
			[ "$kept" -gt 0 ] && [ "$miss" -gt 0 ] || fail "$what: expected some pages kept and some missing"
			[ "$wrong" = 0 ] || fail "$what: $wrong kept pages differ from the input"
			if "$PY" -c 'import kdumpfile' 2> /dev/null; then
				"$PY" "$XCHECK" check --kind kdump --manifest "$W/$what.man" --pages "$W/truth" \
					--expect-incomplete yes --expect-cpus 2 --expect-vmcoreinfo yes "$out" > "$W/$what.x" 2>&1 &&
					ok "$what: libkdumpfile: $(tail -1 "$W/$what.x")" || fail "$what: xcheck: $(tail -3 "$W/$what.x" | tr '\n' ' ')"
			else
				echo "note: python3-libkdumpfile not installed: libkdumpfile check skipped"
			fi
		else
			fail "$what: vmcarve manifest: $(head -1 "$W/$what.man.err")"
		fi
		if command -v crash > /dev/null; then
			crash --osrelease "$out" > "$W/$what.crash" 2>&1 && grep -q 6.1.0-fixture "$W/$what.crash" &&
				ok "$what: crash --osrelease" || fail "$what: crash --osrelease: $(head -2 "$W/$what.crash")"
		fi
	fi
	umount "$M" && unset 'mounted[-1]'
}

removed() { # removed WHAT SIZE OUT CONVERT-OPTIONS...
	local what=$1 size=$2 out=$3; shift 3
	local rc
	mnt "$size" "$M"
	"$V" convert "$IN" -o "$out" -q "$@" 2> "$W/$what.err"
	rc=$?
	echo "$what: exit $rc: $(head -1 "$W/$what.err")"
	[ $rc = 1 ] || fail "$what: exit $rc, expected 1"
	one_line "$what" "$W/$what.err" "$out"
	[ -z "$(ls -A "$M")" ] && ok "$what: nothing left behind" || fail "$what: left behind: $(ls -A "$M" | tr '\n' ' ')"
	umount "$M" && unset 'mounted[-1]'
}

t0=$(date +%s%N)
kdump_full kdump-lzo-t2 -l --threads 2
kdump_full kdump-zstd-t1 -z --threads 1 --no-dedup
removed kdump-no-room-for-descriptors 32k "$M/tiny.kdump" --threads 2
grep -q 'descriptor table' "$W/kdump-no-room-for-descriptors.err" || fail "kdump-no-room-for-descriptors: message does not say what did not fit"
removed elf 1m "$M/o.elf" --format elf
grep -q 'removed' "$W/elf.err" || fail "elf: the message does not say the output was removed"
removed flat 1m "$M/o.flat" --format flat

# inputs from a read-only file system
mnt 16m "$W/ro"
cp "$IN" "$W/ro/in" && mount -o remount,ro "$W/ro" || fail "cannot remount the input tmpfs read-only"
"$V" info "$W/ro/in" > /dev/null 2> "$W/ro.err" && ok "read-only input: info" || fail "read-only input: info: $(cat "$W/ro.err")"
"$V" manifest "$W/ro/in" 2> "$W/ro.err" | cmp -s - "$W/in.manifest" && ok "read-only input: manifest" ||
	fail "read-only input: manifest differs or failed: $(cat "$W/ro.err")"
for f in kdump elf; do
	"$V" convert "$W/ro/in" -o "$W/ro-out.$f" --format $f -q 2> "$W/ro.err" && ok "read-only input: convert to $f" ||
		fail "read-only input: convert to $f: $(cat "$W/ro.err")"
done

echo "enospc: $(( ($(date +%s%N) - t0) / 1000000 )) ms, $nfail failed"
[ $nfail = 0 ] || exit 1
rm -rf "$W"/ro-out.* "$W/in" "$W/truth"
exit 0
