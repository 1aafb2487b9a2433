#!/bin/bash
# tests/accept/crash-reason.sh VMCARVE
#
# `vmcarve info` shows why a Linux kernel died (issue 11): the log's panic line, its first
# oops/BUG line, and its last lines, judged against logs read by other tools:
#  * the KVM bed's genuine kdump (host-kdump.vmcore, the host crashed by sysrq): against
#    `makedumpfile --dump-dmesg` of the same file: the panic line is the log's last
#    "Kernel panic - not syncing" line (the bed's crash must have one), the last lines and the
#    line count are the log's;
#  * a carved guest (`extract --domain NAME` of the first KVM guest): against crash 8.0.2's
#    `log` on the VMM's own dump of it (l1out/NAME.elf): no panic (the guest was running), the
#    same last lines;
#  * the text form prints the panic line as "crash reason:".
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/accept/lib.sh
. "$HERE/lib.sh"
acc_need crash crash
acc_init crash-reason "$@"
acc_vmlinux

HOST=$BED/host-kdump.vmcore
name=$(awk '/role=kvm-guest/ { for (i = 1; i <= NF; i++) if ($i ~ /^name=/) { print substr($i, 6); exit } }' "$BED/truth/domains.txt")
[ -n "$name" ] || acc_die "no role=kvm-guest in $BED/truth/domains.txt"
ref=$BED/l1out/$name.elf
[ -s "$ref" ] || acc_die "$ref is not there"

printf 'log\nquit\n' > "$WORK/crash.cmds"
timeout 400 crash -s -i "$WORK/crash.cmds" "$VMLINUX" "$ref" > "$WORK/guest.crash-out" 2>&1 &
makedumpfile --dump-dmesg "$HOST" "$WORK/host.mdf" > "$WORK/host.mlog" 2>&1 || acc_fail "makedumpfile --dump-dmesg: $(tail -2 "$WORK/host.mlog")"
"$VMCARVE" info --json "$HOST" > "$WORK/host.json" 2> "$WORK/host.err" || acc_fail "vmcarve info --json $(basename "$HOST"): rc $?"
"$VMCARVE" info "$HOST" > "$WORK/host.txt" 2>&1 || acc_fail "vmcarve info $(basename "$HOST"): rc $?"
t0=$EPOCHREALTIME
"$VMCARVE" extract "$HOST" --domain "$name" -z -q -o "$WORK/guest.kdump" 2> "$WORK/extract.err" || acc_fail "extract --domain $name: $(tail -2 "$WORK/extract.err")"
"$VMCARVE" info --json "$WORK/guest.kdump" > "$WORK/guest.json" 2> "$WORK/guest.err" || acc_fail "vmcarve info --json on the carved $name: rc $?"
acc_log "extract --domain $name and info in $(acc_since "$t0") s"
wait
# crash's log: from its first record on (crash -s may print warnings before it)
awk 'f || /^\[/ { f = 1; print }' "$WORK/guest.crash-out" > "$WORK/guest.crash"

# compare info's "crash" object with a log: WANT_PANIC is "yes" (the log must have one) or "no"
check() { # WHAT JSON LOG WANT_PANIC
	local r
	r=$("$PY" - "$2" "$3" "$4" << 'EOF'
import json, sys
info, logf, want_panic = sys.argv[1:4]
cr = json.load(open(info)).get("crash")
lines = [l.rstrip("\n") for l in open(logf, encoding="latin-1")]
while lines and not lines[-1].strip():
    lines.pop()
def text(l):
    return l.split("] ", 1)[1] if l.startswith("[") and "] " in l else l
panic = [l for l in lines if "Kernel panic - not syncing" in text(l)]
oops = [l for l in lines if text(l).startswith(("BUG: ", "Oops: ", "kernel BUG at ", "general protection fault",
                                                 "Unable to handle kernel", "watchdog: BUG: ", "Kernel BUG at "))]
cut = lambda l: l if len(l) < 256 else l[:252] + "..."
errs = []
if not cr or "error" in cr:
    print("FAIL no crash reason: %s" % cr)
    sys.exit()
if (want_panic == "yes") != bool(panic):
    errs.append("the log itself has %d panic lines (want %s)" % (len(panic), want_panic))
if cr["panic"] != (cut(panic[-1]) if panic else ""):
    errs.append("panic %r, the log's %r" % (cr["panic"], panic[-1:]))
if cr["oops"] != (cut(oops[0]) if oops else ""):
    errs.append("oops %r, the log's %r" % (cr["oops"], oops[:1]))
n = len(cr["last_lines"])
if n != min(10, len(lines)) or cr["last_lines"] != [cut(l) for l in lines[len(lines) - n:]]:
    errs.append("last lines differ: %r vs %r" % (cr["last_lines"][-2:], lines[-2:]))
if cr["log_lines"] != len(lines):
    errs.append("%d log lines, the log has %d" % (cr["log_lines"], len(lines)))
print("FAIL " + "; ".join(errs) if errs else "PASS panic %r, oops %r, last %d of %d lines equal" %
      (cr["panic"], cr["oops"], n, len(lines)))
EOF
)
	case $r in PASS*) acc_pass "$1: ${r#PASS }" ;; *) acc_fail "$1: ${r#FAIL }" ;; esac
}
check "info $(basename "$HOST") vs makedumpfile --dump-dmesg" "$WORK/host.json" "$WORK/host.mdf" yes
if [ -s "$WORK/guest.crash" ]; then
	check "info on the carved $name vs crash 'log' on l1out/$name.elf" "$WORK/guest.json" "$WORK/guest.crash" no
else
	acc_fail "crash log on $ref gave nothing: $(tail -3 "$WORK/guest.crash-out" | tr '\n' ' ')"
fi
want=$(grep 'Kernel panic - not syncing' "$WORK/host.mdf" | tail -1)
if [ -n "$want" ] && grep -qxF "crash reason:  $want" "$WORK/host.txt"; then
	acc_pass "info (text) says 'crash reason:  $want'"
else
	acc_fail "info (text): $(grep -m1 'crash reason' "$WORK/host.txt"), want '$want'"
fi
acc_finish
