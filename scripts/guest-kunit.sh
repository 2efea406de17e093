#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: the results of the KUnit suites named, which ran at
# boot, as TAP for the plan: each case's line of kunit's debugfs KTAP,
# unindented, without the " - " of older KTAP. The suite's own verdict
# line is left out; a failed case fails the run. A kernel without the
# suite (stock has none) gives a skip, not a pass.
n=0 status=0
for suite in "$@"; do
	f=/sys/kernel/debug/kunit/$suite/results
	n=$((n + 1))
	if [ ! -r "$f" ]; then
		echo "ok $n $suite # SKIP this kernel has no KUnit suite $suite"
		continue
	fi
	echo "# KUnit suite $suite"
	awk -v suite="$suite" '
	{ sub(/^[ \t]+/, "") }
	/^(not )?ok [0-9]+ / {
		line = $0; sub(/ - /, " ", line)
		name = line; sub(/^(not )?ok [0-9]+ /, "", name); sub(/ .*/, "", name)
		if (name == suite) next
		print line
		if (line ~ /^not ok/) bad = 1
		next
	}
	/^#/ { print }
	END { exit bad }' "$f" || status=1
done
exit "$status"
