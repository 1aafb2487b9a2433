#!/bin/bash
# consumer.sh BUILDDIR WORKDIR [CFLAGS]: install the build into a scratch prefix, build tests/api/consumer.c
# with nothing but `cc` and `pkg-config vmcarve` (shared, then static), and run both on a fixture
# (testdata/specs/example.spec) and a synthetic Xen host (mkxenhost pv). CFLAGS: what a
# sanitizer build's library needs in its users (-fsanitize=...).
set -euo pipefail
build=$(realpath "$1") w=$2 cflags=${3:-} src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$w" && mkdir -p "$w/out" && w=$(realpath "$w")
cmake --install "$build" --prefix "$w/prefix" >/dev/null
pc=$(find "$w/prefix" -name vmcarve.pc)
lib=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH=$(dirname "$pc")
for f in include/vmcarve.h "${lib#$w/prefix/}/libvmcarve.so.0" "${lib#$w/prefix/}/libvmcarve.a" bin/vmcarve; do
	[ -e "$w/prefix/$f" ] || { echo "FAIL  not installed: $f"; exit 1; }
done

"$build/testdata/gen/mkfixture" "$src/../../testdata/specs/example.spec" "$w/ex" >/dev/null
"$build/testdata/gen/mkxenhost" pv "$w/xen" >/dev/null
mapfile -t inputs <"$w/ex.inputs"

cc -Wall -Wextra -Werror $cflags "$src/consumer.c" $(pkg-config --cflags --libs vmcarve) -o "$w/consumer"
LD_LIBRARY_PATH=$lib "$w/consumer" "$w/ex.manifest" "$w/xen.elf" "$w/out" "${inputs[@]}"
echo "PASS  shared: $(pkg-config --cflags --libs vmcarve)"

# static: libvmcarve.a and the dependencies from Requires.private / Libs.private
libs=$(pkg-config --static --libs vmcarve | sed 's/-lvmcarve/-Wl,-Bstatic -lvmcarve -Wl,-Bdynamic/')
cc -Wall -Wextra -Werror $cflags "$src/consumer.c" $(pkg-config --cflags vmcarve) $libs -o "$w/consumer-static"
if readelf -d "$w/consumer-static" | grep -q 'libvmcarve'; then
	echo "FAIL  the static consumer needs libvmcarve.so"; exit 1
fi
"$w/consumer-static" "$w/ex.manifest" "$w/xen.elf" "$w/out" "${inputs[@]}" >/dev/null
echo "PASS  static: $libs"

# the installed CLI finds the installed library (RUNPATH), not the build tree's
env -u LD_LIBRARY_PATH "$w/prefix/bin/vmcarve" info "$w/ex" >/dev/null
found=$(ldd "$w/prefix/bin/vmcarve" | awk '/libvmcarve/ { print $3 }')
[ "$(realpath "$found")" = "$(realpath "$lib/libvmcarve.so.0")" ] || { echo "FAIL  installed vmcarve uses $found"; exit 1; }
echo "PASS  installed vmcarve runs on the installed libvmcarve"
