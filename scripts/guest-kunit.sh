#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest: the results of the KUnit suites named, which ran at
# boot, as TAP for the plan: each case's line of kunit's debugfs KTAP,
# unindented, without the " - " of older KTAP. The suite's own verdict
# line is left out; a failed case fails the run, and so do KUnit's totals
# when they count a failure or more cases than have a result line. A
# kernel without the suite (stock has none) gives a skip, not a pass.
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
		cases++
		if (line ~ /^not ok/) bad = 1
		next
	}
	/^# Totals: / {
		for (i = 3; i <= NF; i++) { split($i, kv, ":"); tot[kv[1]] = kv[2] }
		totals = 1
	}
	/^#/ { print }
	END {
		# A long case log pushes its own result line out of the
		# fixed-size debugfs log: the totals must still agree.
		# KUnit prints them only for suites of more than one case.
		if (totals ? tot["fail"] > 0 || tot["total"] != cases : !cases) {
			if (totals)
				printf "not ok %d %s_totals # KUnit totals: pass %s, fail %s, skip %s of %s; case lines: %d\n",
					cases + 1, suite, tot["pass"], tot["fail"], tot["skip"], tot["total"], cases
			else
				printf "not ok 1 %s_totals # no case result line, and KUnit prints no totals for one case\n", suite
			bad = 1
		}
		exit bad
	}' "$f" || status=1
done
exit "$status"
