#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot stock and ours (release flavour, same config) in one
# run, run the same benchmark in each, print both and the ratio.
. "$(dirname "$0")/lib.sh"

export FLAVOUR=${FLAVOUR:-release}
SECONDS_PER_CASE=${BENCH_SECONDS:-5}
MIB=${BENCH_MIB:-64}
CASES="4k:0 4k:2 thp:0 thp:2 memcpy:0"
out=$BUILD/results/bench

bash "$REPO/scripts/setup.sh"
bash "$REPO/scripts/prepare-tree.sh"
for k in stock ours; do
	KERNEL=$k bash "$REPO/scripts/build-kernel.sh"
done
bash "$REPO/scripts/build-tests.sh"

job=$(mktemp)
trap 'rm -f "$job"' EXIT
{
	echo "set -e"
	for c in $CASES; do
		echo "$TESTS_OUT/tools/pm-bench ${c%:*} ${c#*:} $SECONDS_PER_CASE $MIB"
	done
} >"$job"
for k in stock ours; do
	say "benchmark on $k: $CASES, $SECONDS_PER_CASE s each"
	KERNEL=$k GUEST_TIMEOUT=600 bash "$REPO/scripts/guest.sh" "$out-$k" "$job" |
		grep --line-buffered -E '^(RESULT|\[)' ||
		die "the benchmark failed on $k; see $out-$k/output.log"
	bash "$REPO/scripts/check-log.sh" "$out-$k/console.log" ||
		die "$k logged a splat during the benchmark; see $out-$k/console.log"
done

# RESULT mode threads units/s GB/s, per kernel; memcpy is the ceiling.
awk -v mib="$MIB" -v s="$SECONDS_PER_CASE" '
FNR == 1 { k = (FILENAME ~ /-stock\//) ? "stock" : "ours" }
$1 == "RESULT" {
	key = $2 ":" $3; rate[k, key] = $4; gbs[k, key] = $5
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
}
END {
	printf "move_pages() benchmark: %d MiB buffer, %d s per case, release kernels\n", mib, s
	printf "%-10s %-7s %12s %12s %8s %8s %7s %7s %7s\n", "case", "readers",
	       "stock/s", "ours/s", "stockGB/s", "oursGB/s", "ours/st", "st/mcpy", "ou/mcpy"
	for (i = 0; i < n; i++) {
		key = order[i]; split(key, f, ":")
		unit = (f[1] == "thp") ? "THP" : "page"
		r = rate["stock", key] > 0 ? rate["ours", key] / rate["stock", key] : 0
		printf "%-10s %-7s %12.0f %12.0f %9.3f %8.3f %7.2f %7.3f %7.3f\n",
		       f[1] (f[1] == "memcpy" ? "" : " " unit "s"), f[2],
		       rate["stock", key], rate["ours", key], gbs["stock", key], gbs["ours", key], r,
		       gbs["stock", key] / gbs["stock", "memcpy:0"], gbs["ours", key] / gbs["ours", "memcpy:0"]
	}
}' "$out-stock/output.log" "$out-ours/output.log" | tee "$out.txt"
