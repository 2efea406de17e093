#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: build our kernel, boot the NUMA guest and show a process's
# pages migrating from node 0 to node 1.
. "$(dirname "$0")/lib.sh"

kernel=$(pick_kernel)
export FLAVOUR=${FLAVOUR:-debug}
results=$BUILD/results/run-$kernel-$FLAVOUR

build_for_guest

job=$(mktemp)
trap 'rm -f "$job"' EXIT
echo "TOOLS=$TESTS_OUT/tools bash $REPO/scripts/guest-demo.sh" >"$job"
GUEST_TIMEOUT=${GUEST_TIMEOUT:-300} bash "$REPO/scripts/guest.sh" "$results" "$job"
if ! bash "$REPO/scripts/check-log.sh" "$results/console.log"; then
	die "the kernel logged a splat (above); see $results/console.log"
fi
grep -q "^== hold: 0 of" "$results/output.log" ||
	die "the demo process's memory was not intact after migration"
