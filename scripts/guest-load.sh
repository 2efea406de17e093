#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest: the body of a "bg" plan entry. Runs COMMAND once,
# then again and again until $PM_LOAD_STOP exists (the section's other
# tests are done); a run under way then is let finish. Exits 0 only when
# every run exited 0.
#
#   guest-load.sh COMMAND [ARG...]
set -u
: "${PM_LOAD_STOP:?set by guest-plan.sh}"
runs=0
failed=0
while :; do
	"$@"
	status=$?
	runs=$((runs + 1))
	if [ "$status" != 0 ]; then
		failed=$((failed + 1))
		echo "load: run $runs of '$*' exited with status $status"
		sleep 1	# a command that fails at once must not spin
	fi
	[ -e "$PM_LOAD_STOP" ] && break
done
echo "load: $runs runs of '$*', $failed failed"
[ "$failed" = 0 ]
