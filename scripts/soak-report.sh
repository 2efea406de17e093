#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# soak-report.sh RESULTS GUEST_STATUS LABEL: the summary of a make soak
# run from its results folder (soak.summary, console.log), and its
# verdict: exit 0 only when corrupted bytes, leaked isolated pages,
# splats, hung tasks, failed pairs and failed load runs are all 0, the
# guest exited 0, and pairs, pages moved and trinity syscalls are not 0.
. "$(dirname "$0")/lib.sh"

results=${1:?usage: soak-report.sh RESULTS GUEST_STATUS LABEL}
status=${2:?}
label=${3:-}
summary=$results/soak.summary
value() { sed -n "s/^$1=//p" "$summary" 2>/dev/null | head -n 1; }
# check-log.sh exits 1 when it finds some: the summary must still print.
splats=$(bash "$REPO/scripts/check-log.sh" "$results/console.log" | wc -l || true)
hung=$(grep -c "blocked for more than" "$results/console.log" || true)
echo
echo "soak summary ($label, $results):"
printf '  %-22s %s\n' \
	"race pairs" "$(value pairs) ($(value failed_pairs) failed)" \
	"operations" "$(value ops)" \
	"pages moved" "$(value moved)" \
	"trinity syscalls" "$(value trinity_syscalls)" \
	"failed load runs" "$(value failed_runs)" \
	"corrupted bytes" "$(value corrupted_bytes) (must be 0)" \
	"leaked isolated pages" "$(value leaked_isolated) (must be 0)" \
	"splats" "$splats (must be 0)" \
	"hung tasks" "$hung (must be 0)"
[ "$splats" = 0 ] || bash "$REPO/scripts/check-log.sh" "$results/console.log" | sed 's/^/  splat: /'
nonzero() { [ "$(value "$1")" -gt 0 ] 2>/dev/null; }
[ "$status" = 0 ] && [ -f "$summary" ] && [ "$(value corrupted_bytes)" = 0 ] &&
	nonzero pairs && nonzero moved && nonzero trinity_syscalls &&
	[ "$(value leaked_isolated)" = 0 ] && [ "$(value failed_pairs)" = 0 ] &&
	[ "$(value failed_runs)" = 0 ] && [ "$splats" = 0 ] && [ "$hung" = 0 ]
