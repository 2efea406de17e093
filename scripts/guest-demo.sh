#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest for 'make run': show a process's pages moving from
# node 0 to node 1. Env: TOOLS (the built guest tools).
set -u
show_counters() {
	grep -E '^(pgmigrate_success|pgmigrate_fail|numa_pages_migrated) ' /proc/vmstat | tr '\n' ' '
	echo
}

echo "== kernel $(uname -r); nodes: $(cat /sys/devices/system/node/online)"
numactl -H | grep -E 'cpus|size'
echo "== counters before: $(show_counters)"
coproc HOLD { numactl --membind=0 "$TOOLS/pm-tool" hold 64; }
read -r pid addr pages <&"${HOLD[0]}"
echo "== pid $pid holds $pages pages at $addr, bound to node 0"
echo "-- /proc/$pid/numa_maps (anon mapping) before:"
grep "^${addr#0x} " /proc/"$pid"/numa_maps
echo "-- move_pages status before:"
"$TOOLS/pm-tool" status "$pid" "$addr" "$pages"
echo "== migratepages $pid 0 1"
start=$(date +%s.%N)
migratepages "$pid" 0 1
echo "   took $(echo "$(date +%s.%N) - $start" | bc) s"
echo "-- /proc/$pid/numa_maps (anon mapping) after:"
grep "^${addr#0x} " /proc/"$pid"/numa_maps
echo "-- move_pages status after:"
"$TOOLS/pm-tool" status "$pid" "$addr" "$pages"
echo "== counters after: $(show_counters)"
echo done >&"${HOLD[1]}"
read -r verdict <&"${HOLD[0]}"
echo "== $verdict"
wait "$HOLD_PID"
