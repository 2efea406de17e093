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

bash "$REPO/scripts/soak-report.sh" "$results" "$status" "$kernel-$FLAVOUR, $minutes min"
