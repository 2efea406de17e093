#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest, for make soak (scripts/soak.sh): the loaded guest's
# loads, trinity and the race matrix all at once, for SOAK_MINUTES.
# A progress line a minute; at the end /mnt/results/soak.summary, whose
# keys soak.sh reads. Env: T (built tests), REPO, SOAK_MINUTES.
set -u
minutes=${SOAK_MINUTES:-30}
export PM_LOAD_STOP=/tmp/pm-soak-stop PM_RACE_SECONDS=${PM_RACE_SECONDS:-2}
# The race matrix stops between pairs when the soak is over.
export PM_RACE_STOP_FILE=$PM_LOAD_STOP
logs=/mnt/results/soak
rm -f "$PM_LOAD_STOP"
mkdir -p "$logs"

names=(stress-ng vm-migration trinity races)
cmds=("stress-ng --numa 2 --verify --timeout 30s --metrics-brief"
      "$T/vm/migration"
      "bash $REPO/scripts/guest-trinity.sh"
      "$T/users/races")
pids=()
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086
	bash "$REPO/scripts/guest-load.sh" ${cmds[$i]} \
		>"$logs/${names[$i]}.log" 2>&1 </dev/null &
	pids+=("$!")
done

# Sums over the logs so far, as NAME=VALUE words: the race pairs run and
# failed, their operations, pages moved and bad bytes, trinity's
# syscalls, and the load runs that failed (stress-ng --verify among them).
tally() {
	awk '
	FILENAME ~ /races/ && /^(not )?ok / && !/# SKIP/ {
		gsub(/[()]/, "")
		pairs++
		if ($1 == "not") failed_pairs++
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "ops") ops += kv[2]
			if (kv[1] == "moved") moved += kv[2]
			if (kv[1] == "bad") bad += kv[2]
		}
	}
	FILENAME ~ /trinity/ && /Ran [0-9]+ syscalls/ {
		n = $0; sub(/.*Ran /, "", n); sub(/ .*/, "", n); syscalls += n
	}
	/^load: run [0-9]+ of .* exited with status/ { failed_runs++ }
	END {
		printf "pairs=%d failed_pairs=%d ops=%d moved=%d ", pairs, failed_pairs, ops, moved
		printf "trinity_syscalls=%d failed_runs=%d corrupted_bytes=%d\n", syscalls, failed_runs, bad
	}' "$logs"/*.log
}

# The first hung task or soft lockup gets every task's stack (sysrq-t)
# on the console: who holds what the others wait for, and where.
dumped=0
dump_stuck_tasks() {
	[ "$dumped" = 0 ] || return 0
	dmesg | grep -qE 'blocked for more than|soft lockup' || return 0
	echo "soak: a task hung or a CPU locked up: every task's stack follows (sysrq-t)"
	echo t >/proc/sysrq-trigger
	dumped=1
}

start=$SECONDS
for ((m = 1; m <= minutes; m++)); do
	sleep $((start + m * 60 - SECONDS))
	echo "soak: $m/$minutes min: $(tally)"
	dump_stuck_tasks
done
touch "$PM_LOAD_STOP"
status=0
for i in "${!names[@]}"; do
	wait "${pids[$i]}" || status=1
	echo "soak: ${names[$i]}: $(tail -n 1 "$logs/${names[$i]}.log")"
done

# Pages still isolated once every load is done.
isolated=-1
for _ in $(seq 1 20); do
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	isolated=$(awk '$1 == "nr_isolated_anon" || $1 == "nr_isolated_file" { s += $2 } END { print s + 0 }' /proc/vmstat)
	[ "$isolated" = 0 ] && break
	sleep 0.5
done
{
	tally | tr ' ' '\n'
	echo "leaked_isolated=$isolated"
	echo "loads_status=$status"
} >/mnt/results/soak.summary
cat /mnt/results/soak.summary
exit "$status"
