#!/bin/bash
# exports.sh LIBVMCARVE.SO VMCARVE.H: the shared library exports only vmc_ functions, each one
# declared VMC_API in the public header, and every function the header declares is exported.
set -euo pipefail
so=$1 header=$2
exported=$(nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u)
# a declaration's name is the first identifier followed by "(" (the return type has none)
declared=$(grep -v '^#' "$header" | tr '\n' ' ' | grep -o 'VMC_API [^;]*;' | sed -E 's/^VMC_API [^(]*[ *]([a-z_0-9]+)\(.*/\1/' | sort -u)
fail=0
if grep -v '^vmc_' <<<"$exported"; then
	echo "FAIL  exported symbols outside vmc_ (above)"; fail=1
fi
if extra=$(comm -23 <(echo "$exported") <(echo "$declared")) && [ -n "$extra" ]; then
	echo "FAIL  exported but not declared in $(basename "$header"):"; echo "$extra"; fail=1
fi
if missing=$(comm -13 <(echo "$exported") <(echo "$declared")) && [ -n "$missing" ]; then
	echo "FAIL  declared but not exported:"; echo "$missing"; fail=1
fi
[ $fail = 0 ] && echo "PASS  $(wc -l <<<"$exported") symbols exported, all vmc_, all and only the header's"
exit $fail
