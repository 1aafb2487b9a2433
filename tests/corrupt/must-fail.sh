#!/bin/bash
# must-fail.sh: run-corrupt.py must catch a vmcarve that breaks its promises (fake-vmcarve.sh):
# passes only if the run fails and reports every kind of broken promise.
#   must-fail.sh MKFIXTURE WORKDIR SPEC
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$(dirname "$2")" && out=$2.log
/usr/bin/python3 "$here/run-corrupt.py" --vmcarve "$here/fake-vmcarve.sh" --mkfixture "$1" --workdir "$2" \
	--cpu-limit 1 "$3" > "$out" 2>&1
rc=$?
fails=0
[ $rc = 1 ] || { echo "must-fail: run-corrupt.py exited $rc, expected 1"; fails=1; }
for want in 'stderr lines, expected 1' 'has no offset' 'left files behind' 'rc cpu-limit' 'sanitizer report, crash or hang (rc 86)'; do
	grep -qF "$want" "$2/failures.txt" && echo "must-fail: caught: $want" ||
		{ echo "must-fail: NOT caught: $want"; fails=1; }
done
head -12 "$out"
[ $fails = 0 ] && rm -rf "$2" "$out"
exit $fails
