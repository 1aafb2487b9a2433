#!/bin/bash
# tests/package/deb.sh: the Debian packages build, are lintian-clean of errors, install on a
# clean Debian 12 system and work there. From a clean copy of the source tree (tracked and
# untracked files, no build directories) it runs `dpkg-buildpackage -us -uc -b`, then
# `lintian --fail-on error`, then, in a `debootstrap --variant=minbase bookworm` chroot:
# `dpkg -i` vmcarve + libvmcarve0 and `apt-get -f install` of their dependencies, the bundled
# example (scripts/example) from the INSTALLED /usr/bin/vmcarve (its inputs come from the
# test generators mkxenhost and mkfixture built outside, copied in: they are test tooling,
# not part of the product); then libvmcarve-dev, gcc and pkg-config, and a small consumer
# (consumer.c) compiled only with `pkg-config --cflags --libs vmcarve`, and once against
# libvmcarve.a and the shared libraries of vmcarve.pc's Requires.private (a fully static link
# would also need the static libraries of libdw's own dependencies, which libdw-dev does not
# pull in). Needs root. The chroot is cached as a tarball, with apt's downloads, in
# ~/.cache/vmcarve-debootstrap (VMCARVE_DEBOOTSTRAP_CACHE moves it); the mirror is the
# Debian one of /etc/apt/sources.list* (VMCARVE_DEBIAN_MIRROR overrides it).
#   deb.sh SRCDIR BUILDDIR WORKDIR     BUILDDIR: a build with the generators (testdata/gen)
set -euo pipefail
[ $# = 3 ] || { echo "usage: deb.sh SRCDIR BUILDDIR WORKDIR" >&2; exit 2; }
src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) w=$3
cache=${VMCARVE_DEBOOTSTRAP_CACHE:-$HOME/.cache/vmcarve-debootstrap}
suite=bookworm
root=$w/chroot
t0=$SECONDS

phase() { printf 'deb.sh: [%4ds] %s\n' $((SECONDS - t0)) "$*"; }
die() { printf 'deb.sh: [%4ds] FAIL: %s\n' $((SECONDS - t0)) "$*"; exit 1; }
unmount() { if mountpoint -q "$root/proc" 2>/dev/null; then umount -l "$root/proc"; fi; }
trap unmount EXIT
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
log_or_die() { # log_or_die LOG WHAT CMD...: run CMD into LOG; on failure show its end and fail
	local log=$1 what=$2
	shift 2
	"$@" >"$log" 2>&1 || { tail -30 "$log"; die "$what (log: $log)"; }
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, dpkg -i)"
for t in dpkg-buildpackage dh lintian debootstrap; do
	command -v $t >/dev/null || die "$t is missing (scripts/setup installs it)"
done
for g in mkxenhost mkfixture; do
	[ -x "$build/testdata/gen/$g" ] || die "$build/testdata/gen/$g is missing (a build with VMC_BUILD_TESTS=ON)"
done

# 1. a clean copy of the source tree
unmount
rm -rf --one-file-system "$w"
mkdir -p "$w/vmcarve" "$cache"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -C "$w/vmcarve" -xf -
else
	tar -C "$src" --exclude='./build' --exclude='./build-*' --exclude='./.git' -cf - . | tar -C "$w/vmcarve" -xf -
fi
phase "source copied to $w/vmcarve ($(du -sh "$w/vmcarve" | cut -f1))"

# 2. build the binary packages
log_or_die "$w/build.log" "dpkg-buildpackage" \
	env -C "$w/vmcarve" DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b
ls "$w"/*.deb >/dev/null 2>&1 || die "dpkg-buildpackage made no .deb"
phase "built: $(cd "$w" && ls *.deb | tr '\n' ' ')"

# 3. lintian: no error
lintian --fail-on error --display-info "$w"/*.changes >"$w/lintian.log" 2>&1 || lint_rc=$?
for level in E W I; do printf '%s=%s ' $level "$(grep -c "^$level: " "$w/lintian.log" || true)"; done | sed 's/^/deb.sh:        lintian: /'
echo
if [ "${lint_rc:-0}" != 0 ] || grep -q '^E: ' "$w/lintian.log"; then
	cat "$w/lintian.log"
	die "lintian reports errors (log: $w/lintian.log)"
fi
phase "lintian: no errors (log: $w/lintian.log)"

# 4. a clean Debian 12: the cached minbase chroot, or a new one
tarball=$cache/$suite-minbase.tar
mirror=${VMCARVE_DEBIAN_MIRROR:-$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list \
	/etc/apt/sources.list.d/* 2>/dev/null | head -1 | tr -d ' ' || true)}
mirror=${mirror:-http://deb.debian.org/debian}
if [ ! -s "$tarball" ]; then
	log_or_die "$w/debootstrap.log" "debootstrap $suite from $mirror" \
		debootstrap --variant=minbase "$suite" "$w/bootstrap" "$mirror"
	tar -C "$w/bootstrap" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
	rm -rf --one-file-system "$w/bootstrap"
	phase "debootstrap --variant=minbase $suite from $mirror, cached as $tarball"
fi
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
cat >"$root/etc/apt/sources.list" <<EOT
deb ${mirror%/} $suite main
deb ${mirror%/} $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
EOT
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
# apt's downloads and lists are kept between runs (what was installed is not)
mkdir -p "$cache/archives" "$cache/lists"
cp -a "$cache/archives/." "$root/var/cache/apt/archives/"
cp -a "$cache/lists/." "$root/var/lib/apt/lists/"
save_apt() {
	cp -a "$root/var/cache/apt/archives/"*.deb "$cache/archives/" 2>/dev/null || true
	cp -a "$root/var/lib/apt/lists/." "$cache/lists/" 2>/dev/null || true
}
phase "chroot ready: $root ($(du -sh --one-file-system "$root" | cut -f1))"

# 5. the runtime packages alone, with their dependencies from the archive
mkdir -p "$root/tmp/debs"
cp "$w"/*.deb "$root/tmp/debs/"
log_or_die "$w/apt-update.log" "apt-get update in the chroot" in_root apt-get update -q
in_root sh -c 'dpkg -i /tmp/debs/vmcarve_*.deb /tmp/debs/libvmcarve0_*.deb' >"$w/dpkg-i.log" 2>&1 || true
log_or_die "$w/apt-f.log" "apt-get -f install (runtime)" in_root apt-get -f install -y -q --no-install-recommends
for p in vmcarve libvmcarve0; do
	[ "$(in_root dpkg-query -W -f='${Status}' $p 2>/dev/null)" = "install ok installed" ] || die "$p is not installed"
done
save_apt
phase "installed vmcarve and libvmcarve0 with $(grep -c '^Setting up' "$w/apt-f.log") packages from the archive"

# 6. the bundled example from the installed binary
in_root test -f /usr/share/man/man1/vmcarve.1.gz || die "/usr/share/man/man1/vmcarve.1.gz is not installed"
[ "$(in_root sh -c 'command -v vmcarve')" = /usr/bin/vmcarve ] || die "vmcarve is not /usr/bin/vmcarve"
mkdir -p "$root/opt/vmcarve-example"
cp "$src/scripts/example" "$src/testdata/specs/example.spec" "$build/testdata/gen/mkxenhost" \
	"$build/testdata/gen/mkfixture" "$root/opt/vmcarve-example/"
in_root bash /opt/vmcarve-example/example /usr/bin/vmcarve /opt/vmcarve-example \
	/opt/vmcarve-example/example.spec /tmp/example | tee "$w/example.log" || die "the example failed in the chroot"
# as many guests as the generator's truth file lists (xen-host.expected: one "guest ID" line each)
n=$(grep -c '^guest ' "$root/tmp/example/xen-host.expected") || die "no guests in the example's xen-host.expected"
grep -q "$n guest(s) written, 0 incomplete, 0 failed" "$w/example.log" || die "split did not write the $n guests"
phase "the example ran from the installed /usr/bin/vmcarve ($(in_root /usr/bin/vmcarve --version))"

# 7. the development package: pkg-config and a consumer, shared and static
in_root sh -c 'dpkg -i /tmp/debs/libvmcarve-dev_*.deb' >>"$w/dpkg-i.log" 2>&1 || true
log_or_die "$w/apt-dev.log" "apt-get install of libvmcarve-dev's dependencies, gcc and pkg-config" \
	in_root apt-get -f install -y -q --no-install-recommends
log_or_die "$w/apt-gcc.log" "apt-get install gcc pkg-config" \
	in_root apt-get install -y -q --no-install-recommends gcc libc6-dev pkg-config
save_apt
cp "$(dirname "$0")/consumer.c" "$root/tmp/consumer.c"
libs=$(in_root pkg-config --libs vmcarve) || die "pkg-config --libs vmcarve failed in the chroot"
phase "pkg-config --libs vmcarve: $libs"
log_or_die "$w/consumer.log" "compiling the consumer against the installed libvmcarve-dev" \
	in_root sh -c 'gcc -Wall -Wextra -Werror -o /tmp/consumer /tmp/consumer.c $(pkg-config --cflags --libs vmcarve) &&
		/tmp/consumer /tmp/example/example.kdump &&
		a=$(pkg-config --variable=libdir vmcarve)/libvmcarve.a &&
		gcc -o /tmp/consumer-static /tmp/consumer.c $(pkg-config --cflags vmcarve) "$a" \
			$(pkg-config --libs $(pkg-config --print-requires-private vmcarve)) -lpthread &&
		/tmp/consumer-static /tmp/example/guests/4-*.kdump &&
		! ldd /tmp/consumer-static | grep -q libvmcarve'
sed 's/^/deb.sh:        /' "$w/consumer.log"
phase "consumer built with pkg-config (shared and libvmcarve.a) and run in the chroot"

unmount
rm -rf --one-file-system "$root"
phase "ok: packages built, lintian-clean of errors, installed and run on a clean $suite"
