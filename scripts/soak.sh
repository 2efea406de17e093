#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak (opt-in, never in CI): in the loaded guest's shape, the
# loads of the loaded guest, trinity and the race matrix run together
# for SOAK_MINUTES (default 30), on the debug kernel or, with
# FLAVOUR=kasan, on KASAN (STOCK=1: on stock). A progress line a
# minute, then a summary; it fails unless corrupted bytes, leaked
# isolated pages, splats and hung tasks are all 0, every load run
# passed, and race pairs, pages moved and trinity syscalls are not 0. The guest boots with debug_pagealloc=on and page_owner=on
# (CMDLINE_EXTRA= turns them off), which the plan cannot afford.
. "$(dirname "$0")/lib.sh"

kernel=$(pick_kernel)
export FLAVOUR=${FLAVOUR:-debug}
minutes=${SOAK_MINUTES:-30}
results=${RESULTS:-$BUILD/results/soak-$kernel-$FLAVOUR}

build_for_guest

job=$(mktemp)
trap 'rm -f "$job"' EXIT
cat >"$job" <<JOB
export T=$TESTS_OUT REPO=$REPO SOAK_MINUTES=$minutes PM_RACE_SECONDS=${PM_RACE_SECONDS:-2}
bash $REPO/scripts/guest-soak.sh
JOB
say "soak: $minutes min on $kernel-$FLAVOUR"
set +e
# Stuck tasks and CPUs come with every CPU's backtrace.
CMDLINE_EXTRA="${CMDLINE_EXTRA-debug_pagealloc=on page_owner=on} \
sysctl.kernel.hung_task_all_cpu_backtrace=1 \
sysctl.kernel.softlockup_all_cpu_backtrace=1" \
DIMM=512 GUEST_TIMEOUT=$((minutes * 60 + 1200)) \
	bash "$REPO/scripts/guest.sh" "$results" "$job"
status=$?
set -e

summary=$results/soak.summary
value() { sed -n "s/^$1=//p" "$summary" 2>/dev/null | head -n 1; }
# check-log.sh exits 1 when it finds some: the summary must still print.
splats=$(bash "$REPO/scripts/check-log.sh" "$results/console.log" | wc -l || true)
hung=$(grep -c "blocked for more than" "$results/console.log" || true)
echo
echo "soak summary ($kernel-$FLAVOUR, $minutes min, $results):"
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
