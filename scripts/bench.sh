#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot stock and ours (release flavour, same config) in one
# run, and with PEER=6.12 the released peer too; run the same benchmark
# on each, BENCH_ROUNDS times (a guest per round and kernel, the kernels
# taking turns), and print the medians and the ratios.
. "$(dirname "$0")/lib.sh"

export FLAVOUR=${FLAVOUR:-release}
# Guest RAM the host has not touched yet costs a host page fault on the
# guest's first access, which the case that first uses it would pay for
# and the next not.  Back it all first.
export PREALLOC=${PREALLOC:-1}
SECONDS_PER_CASE=${BENCH_SECONDS:-4}
MIB=${BENCH_MIB:-64}
ROUNDS=${BENCH_ROUNDS:-3}
# Pinned calls timed in each round's guest.
PIN_CALLS=${BENCH_PIN_CALLS:-3}
# Time to locality (next_touch): threads on node 1 and MiB of 4 KiB pages.
NT_THREADS=${BENCH_NT_THREADS:-2}
NT_MIB=${BENCH_NT_MIB:-$MIB}
# case:readers. 4k/thp: move_pages(); single: one 4 KiB page per call;
# migrate_pages: the whole process; mbind: MPOL_MF_MOVE of the range;
# memcpy:N: the ceiling, N threads copying (0: one).
GUEST_CPUS=$((${NODES:-2} * ${CPUS_PER_NODE:-2}))
CASES=${BENCH_CASES:-"4k:0 4k:1 4k:3 single:0 single:2 thp:0 thp:2 migrate_pages:0 mbind:0 memcpy:0 memcpy:$GUEST_CPUS"}
# Parallel copy, case:readers:MiB, each run with copy_threads 1 (@t1) and
# 0, automatic (@auto); stock and the peer have no such knob and run the
# same program twice.  hugetlb gets pool pages on both nodes meanwhile.
COPY_CASES=${BENCH_COPY_CASES:-"thp:0:256 hugetlb:0:256 4k:0:128"}
out=$BUILD/results/bench
KERNELS="stock ours"
if [ -n "${PEER:-}" ]; then
	[ "$PEER" = "$PEER_VERSION" ] ||
		die "PEER=$PEER: only PEER=$PEER_VERSION (Debian's linux-source-$PEER_VERSION) is known"
	KERNELS="stock ours peer"
fi

bash "$REPO/scripts/setup.sh"
bash "$REPO/scripts/prepare-tree.sh"
[ -n "${PEER:-}" ] && bash "$REPO/scripts/fetch-peer.sh"
for k in $KERNELS; do
	KERNEL=$k bash "$REPO/scripts/build-kernel.sh"
done
bash "$REPO/scripts/build-tests.sh"

# Each round is a guest of its own per kernel, the kernels taking turns
# round by round, and in a guest the cases take turns: the host's speed
# drifts over minutes, and so it hits every kernel and case alike.
# round_job R writes the job of round R.  Every round times the pinned
# calls PIN_CALLS times (a guest's speed swings, so one guest's figure
# would be one sample); the last one also the time to locality, ROUNDS
# times.
job=$(mktemp)
trap 'rm -f "$job"' EXIT
round_job() {
	local r=$1 c kind readers mib t
	echo "set -e"
	cat <<'JOB'
pools() {
	for n in 0 1; do
		echo "$1" >"/sys/devices/system/node/node$n/hugepages/hugepages-2048kB/nr_hugepages"
	done
}
copy_threads() { { echo "$1" >/sys/kernel/mm/migrate/copy_threads; } 2>/dev/null || :; }
JOB
	echo "echo '[round $r of $ROUNDS]'"
	for c in $CASES; do
		echo "$TESTS_OUT/tools/pm-bench ${c%:*} ${c#*:} $SECONDS_PER_CASE $MIB"
	done
	for c in $COPY_CASES; do
		IFS=: read -r kind readers mib <<<"$c"
		if [ "$kind" = hugetlb ]; then
			echo "pools $((mib / 2 + 2))"
		fi
		for t in t1:1 auto:0; do
			echo "copy_threads ${t#*:}"
			echo "PM_BENCH_TAG=$mib@${t%:*} $TESTS_OUT/tools/pm-bench $kind $readers $SECONDS_PER_CASE $mib"
		done
		if [ "$kind" = hugetlb ]; then
			echo "pools 0"
		fi
	done
	echo "copy_threads 0"
	echo "$TESTS_OUT/tools/pm-bench pinned 0 $PIN_CALLS $MIB"
	if [ "$r" = "$ROUNDS" ]; then
		echo "$TESTS_OUT/tools/pm-bench next_touch $NT_THREADS $ROUNDS $NT_MIB"
	fi
}
logs=""
for ((r = 1; r <= ROUNDS; r++)); do
	round_job "$r" >"$job"
	for k in $KERNELS; do
		dir=$out-$k-r$r
		say "benchmark on $k, round $r of $ROUNDS: $CASES, $SECONDS_PER_CASE s each; pinned$([ "$r" = "$ROUNDS" ] && echo "; next_touch")"
		KERNEL=$k GUEST_TIMEOUT=1800 bash "$REPO/scripts/guest.sh" "$dir" "$job" |
			grep --line-buffered -E '^(RESULT|PINNED|LOCALITY|\[)' ||
			die "the benchmark failed on $k; see $dir/output.log"
		bash "$REPO/scripts/check-log.sh" "$dir/console.log" ||
			die "$k logged a splat during the benchmark; see $dir/console.log"
		logs="$logs $dir/output.log"
	done
done

# The awk functions of both reports: the kernel of a log, and the median
# (min in lo, max in hi) of the values of key in array v with count c.
AWK_LIB='
function kname(f) { return f ~ /-stock-r[0-9]+\// ? "stock" : f ~ /-peer-r[0-9]+\// ? "peer" : "ours" }
function stat(v, c, key,   a, i, j, n, t) {
	n = c[key]
	for (i = 1; i <= n; i++) a[i] = v[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# The logs: "RESULT case readers pages/s GB/s ipis pages" per round into
# rate, gbs and ipi (case order in order[]), and the lines of the pinned
# calls, "PINNED call median min max moved left", one per round: the
# medians into pmed[kernel, call, round] (count pcnt), the extremes into
# pmin and pmax, the most pages left into pleft, the pages moved into
# pmoved.
FNR == 1 { k = kname(FILENAME) }
$1 == "RESULT" {
	key = k SUBSEP $2 ":" $3
	n = ++cnt[key]; rate[key, n] = $4; gbs[key, n] = $5; ipi[key, n] = $6
	# Huge-page cases: GB/s of the calls that met no aliased pair, and
	# the share of calls that did (pm-bench.c, ALIAS_SPAN).
	if (NF >= 9 && $8 >= 0) {
		m = ++acnt[key]; clean[key, m] = $8; ashare[key, m] = $9
	}
	if (!(($2 ":" $3) in seen)) { seen[$2 ":" $3] = 1; order[ncase++] = $2 ":" $3 }
}
$1 == "PINNED" {
	key = k SUBSEP $2
	n = ++pcnt[key]; pmed[key, n] = $3; pmoved[key] = $6
	if (n == 1 || $4 < pmin[key]) pmin[key] = $4
	if (n == 1 || $5 > pmax[key]) pmax[key] = $5
	if (n == 1 || $7 > pleft[key]) pleft[key] = $7
	if (!($2 in pseen)) { pseen[$2] = 1; porder[npin++] = $2 }
}
# "LOCALITY way threads median_s min_s max_s gb_s left ipis" into loc[k, way].
$1 == "LOCALITY" {
	loc[k, $2] = $0
	if (!($2 in lseen)) { lseen[$2] = 1; lorder[nloc++] = $2 }
}'

# shellcheck disable=SC2086
awk -v mib="$MIB" -v s="$SECONDS_PER_CASE" -v rounds="$ROUNDS" -v pincalls="$PIN_CALLS" -v kernels="$KERNELS" \
	-v ntmib="$NT_MIB" -v ntthr="$NT_THREADS" -v ncpu="$GUEST_CPUS" -v copycases="$COPY_CASES" "$AWK_LIB"'
# One line of the parallel-copy targets: case c of the logs against stock,
# the peer and the single-thread memcpy, and the target ratio to stock.
# The single-page cases are in pages/s: their GB/s round to 0.000.
function copy_target(c, want, needmc,   j, g, line, fmt) {
	for (j = 1; j <= nk; j++)
		g[ks[j]] = c ~ /^single/ ? stat(rate, cnt, ks[j] SUBSEP c) : stat(gbs, cnt, ks[j] SUBSEP c)
	if (!(("ours" SUBSEP c) in cnt)) return
	fmt = c ~ /^single/ ? " %7.0f" : " %7.3f"
	line = sprintf("  %-18s" fmt fmt, c (c ~ /^single/ ? " p/s" : ""), g["ours"], g["stock"])
	line = line (nk > 2 ? sprintf(fmt, g["peer"]) : sprintf(" %7s", "-"))
	line = line sprintf(" %10.2f", g["stock"] > 0 ? g["ours"] / g["stock"] : 0)
	line = line (nk > 2 ? sprintf(" %9.2f", g["peer"] > 0 ? g["ours"] / g["peer"] : 0) : sprintf(" %9s", "-"))
	line = line (c ~ /^single/ ? sprintf(" %9s", "-") : sprintf(" %9.2f", mc1 > 0 ? g["ours"] / mc1 : 0))
	line = line sprintf("   >= %.1f stock%s", want, needmc ? ", >= 1.0 memcpy" : "")
	print line
	copy_unaliased(c)
}
# Under it, for the huge-page cases, the same from the calls that met no
# aliased pair, and the median share of calls that met one per kernel.
function copy_unaliased(c,   j, g, a, line) {
	if (!(("ours" SUBSEP c) in acnt) || !(("stock" SUBSEP c) in acnt)) return
	for (j = 1; j <= nk; j++) {
		g[ks[j]] = stat(clean, acnt, ks[j] SUBSEP c)
		a[ks[j]] = stat(ashare, acnt, ks[j] SUBSEP c)
	}
	line = sprintf("    %-16s %7.3f %7.3f", "unaliased", g["ours"], g["stock"])
	line = line (nk > 2 ? sprintf(" %7.3f", g["peer"]) : sprintf(" %7s", "-"))
	line = line sprintf(" %10.2f", g["stock"] > 0 ? g["ours"] / g["stock"] : 0)
	line = line (nk > 2 ? sprintf(" %9.2f", g["peer"] > 0 ? g["ours"] / g["peer"] : 0) : sprintf(" %9s", "-"))
	line = line sprintf(" %9.2f", mc1 > 0 ? g["ours"] / mc1 : 0)
	line = line sprintf("   aliased calls: ours %.0f%%, stock %.0f%%", a["ours"], a["stock"])
	print line (nk > 2 ? sprintf(", peer %.0f%%", a["peer"]) : "")
}
END {
	nk = split(kernels, ks, " ")
	printf "Migration benchmark: %d MiB, %d s per case, %d rounds, release kernels; median (min-max)\n", mib, s, rounds
	printf "pages/s are 4 KiB pages moved per second of syscall time; IPI/1k: TLB-shootdown\n"
	printf "interrupts (all CPUs) per 1000 pages moved; mcpy: the fraction of the guest memcpy.\n\n"
	for (i = 0; i < ncase; i++) {
		c = order[i]
		for (j = 1; j <= nk; j++) {
			key = ks[j] SUBSEP c
			med[ks[j]] = stat(rate, cnt, key); rlo[ks[j]] = lo; rhi[ks[j]] = hi
			mg[ks[j]] = stat(gbs, cnt, key)
			mi[ks[j]] = stat(ipi, cnt, key)
			mc[ks[j]] = stat(gbs, cnt, ks[j] SUBSEP "memcpy:0")
		}
		split(c, f, ":")
		printf "%s, %d readers\n", f[1], f[2]
		printf "  %-6s %11s %21s %8s %7s %8s\n", "kernel", "pages/s", "(min-max)", "GB/s", "mcpy", "IPI/1k"
		for (j = 1; j <= nk; j++) {
			kk = ks[j]
			printf "  %-6s %11.0f %21s %8.3f %7.3f %8.1f\n", kk, med[kk],
			       sprintf("(%.0f-%.0f)", rlo[kk], rhi[kk]), mg[kk],
			       (mc[kk] > 0 ? mg[kk] / mc[kk] : 0), (f[1] == "memcpy" ? 0 : mi[kk])
		}
		if (f[1] != "memcpy") {
			printf "  ours/stock %.2f", (med["stock"] > 0 ? med["ours"] / med["stock"] : 0)
			if (nk > 2) printf "   ours/peer %.2f", (med["peer"] > 0 ? med["ours"] / med["peer"] : 0)
			printf "\n"
		}
		printf "\n"
	}
	mc1 = stat(gbs, cnt, "ours" SUBSEP "memcpy:0")
	mcn = stat(gbs, cnt, "ours" SUBSEP "memcpy:" ncpu)
	printf "parallel copy, GB/s of syscall time (medians), next to the targets of issue 10\n"
	printf "  ceilings in the guest (ours): memcpy %.3f GB/s on 1 thread, %.3f GB/s on %d threads\n", mc1, mcn, ncpu
	printf "  (the guest CPUs are QEMU TCG threads on the host'"'"'s 2 cores: threads gain at most ~2x, here %.2fx for memcpy)\n", (mc1 > 0 ? mcn / mc1 : 0)
	printf "  (on real hardware one core copies about 10 GB/s, a socket'"'"'s memory and the link between\n"
	printf "  sockets carry several times that: expect THP and hugetlb to gain near-linearly up to\n"
	printf "  4-6 threads, 3-5x at automatic'"'"'s cap of 8, until the link is full; 4 KiB batches spend\n"
	printf "  most of each page'"'"'s time outside the copy (rmap, LRU, allocation), so at most ~1.2x)\n"
	printf "  (unaliased: the calls that met no src and dst a multiple of 8 MiB apart, which TCG'"'"'s\n"
	printf "  soft TLB copies several times slower; how many calls meet one is set by where the\n"
	printf "  allocator put the pages, guest by guest, on every kernel: see pm-bench.c, ALIAS_SPAN)\n"
	printf "  %-18s %7s %7s %7s %10s %9s %9s   %s\n", "case", "ours", "stock", "peer", "ours/stock", "ours/peer", "ours/mcpy", "target"
	nc = split(copycases, cc, " ")
	for (i = 1; i <= nc; i++) {
		split(cc[i], f, ":")
		for (t = 1; t <= 2; t++) {
			c = f[1] f[3] "@" (t == 1 ? "t1" : "auto") ":" f[2]
			copy_target(c, f[1] == "4k" ? 1.3 : 1.5, f[1] == "thp")
		}
	}
	copy_target("single:0", 1.0, 0)
	copy_target("single:2", 1.0, 0)
	printf "\n"
	printf "pinned: %d MiB of 4 KiB pages, one long-term pinned per 2 MiB; %d calls in each of %d\n", mib, pincalls, rounds
	printf "guests: the median of the per-guest medians (min-max of all calls)\n"
	printf "  %-11s %-6s %24s %8s %7s\n", "call", "kernel", "seconds", "speed", "left"
	for (i = 0; i < npin; i++) {
		c = porder[i]
		sm = stat(pmed, pcnt, "stock" SUBSEP c)
		for (j = 1; j <= nk; j++) {
			key = ks[j] SUBSEP c
			m = stat(pmed, pcnt, key)
			printf "  %-11s %-6s %8.3f %15s %8.2f %7d\n", c, ks[j], m,
			       sprintf("(%.3f-%.3f)", pmin[key], pmax[key]),
			       (m > 0 ? sm / m : 0), pleft[key]
		}
	}
	printf "  (speed: stock time / this kernel time; left: pages not on node 1 afterwards)\n"
	printf "\ntime to locality: %d MiB of 4 KiB pages first touched on node 0, then read by\n", ntmib
	printf "%d threads on node 1; seconds until every page was read there, median of %d rounds\n", ntthr, rounds
	printf "  %-9s %-6s %8s %17s %8s %7s %8s\n", "way", "kernel", "seconds", "(min-max)", "GB/s", "left", "IPI/1k"
	for (i = 0; i < nloc; i++)
		for (j = 1; j <= nk; j++) {
			split(loc[ks[j], lorder[i]], p, " ")
			if (p[4] < 0)
				printf "  %-9s %-6s %8s\n", lorder[i], ks[j], "refused"
			else
				printf "  %-9s %-6s %8.3f %17s %8.3f %7d %8.1f\n", lorder[i], ks[j], p[4],
				       sprintf("(%.3f-%.3f)", p[5], p[6]), p[7], p[8], p[9]
		}
	split(loc["ours", "lazy"], la, " ")
	split(loc["ours", "emulate"], em, " ")
	split(loc["ours", "explicit"], ex, " ")
	if (la[4] > 0 && ex[4] > 0)
		printf "  ours: emulate/lazy %.2f (target >= 3), lazy/explicit %.2f (target <= 1.5)\n",
		       em[4] / la[4], la[4] / ex[4]
	# Against stock: its ways (it has no lazy one) over our lazy and explicit ones.
	split(loc["stock", "emulate"], sem, " ")
	split(loc["stock", "explicit"], sex, " ")
	if (la[4] > 0 && sem[4] > 0)
		printf "  vs stock: its emulate / our lazy %.2f, its explicit / our lazy %.2f, its explicit / our explicit %.2f\n",
		       sem[4] / la[4], sex[4] / la[4], sex[4] / ex[4]
	printf "  (lazy: mbind(MPOL_MF_MOVE | MPOL_MF_LAZY); emulate: mprotect + SIGSEGV + move_pages per\n"
	printf "  page; explicit: each thread move_pages() its share; GB/s: what the threads read meanwhile)\n"
}' $logs | tee "$out.txt"

# The same medians as CSV, and a chart of GB/s per case and kernel with
# the guest's memcpy drawn in, in build/results/bench/.
mkdir -p "$out"
# shellcheck disable=SC2086
awk -v kernels="$KERNELS" -v csv="$out/bench.csv" -v dat="$out/gbs.dat" -v pcsv="$out/pinned.csv" \
	-v lcsv="$out/locality.csv" "$AWK_LIB"'
END {
	nk = split(kernels, ks, " ")
	print "case,readers,kernel,pages_per_s_median,pages_per_s_min,pages_per_s_max,gb_per_s_median,memcpy_fraction,tlb_ipis_per_1000_pages" >csv
	printf "case" >dat
	for (j = 1; j <= nk; j++) printf " %s", ks[j] >dat
	printf "\n" >dat
	for (i = 0; i < ncase; i++) {
		c = order[i]; split(c, f, ":")
		label = f[1] (f[1] == "memcpy" ? "" : "/" f[2] "r")
		printf "%s", label >dat
		for (j = 1; j <= nk; j++) {
			key = ks[j] SUBSEP c
			r = stat(rate, cnt, key); rl = lo; rh = hi
			g = stat(gbs, cnt, key); m = stat(gbs, cnt, ks[j] SUBSEP "memcpy:0")
			printf "%s,%s,%s,%.0f,%.0f,%.0f,%.4f,%.4f,%.1f\n", f[1], f[2], ks[j], r, rl, rh, g,
			       (m > 0 ? g / m : 0), (f[1] == "memcpy" ? 0 : stat(ipi, cnt, key)) >csv
			printf " %.4f", g >dat
		}
		printf "\n" >dat
	}
	print "call,kernel,seconds_median,seconds_min,seconds_max,pages_moved,pages_left" >pcsv
	for (i = 0; i < npin; i++)
		for (j = 1; j <= nk; j++) {
			key = ks[j] SUBSEP porder[i]
			printf "%s,%s,%s,%s,%s,%s,%s\n", porder[i], ks[j], stat(pmed, pcnt, key),
			       pmin[key], pmax[key], pmoved[key], pleft[key] >pcsv
		}
	print "way,kernel,threads,seconds_median,seconds_min,seconds_max,gb_per_s,pages_left,tlb_ipis_per_1000_pages" >lcsv
	for (i = 0; i < nloc; i++)
		for (j = 1; j <= nk; j++) {
			split(loc[ks[j], lorder[i]], p, " ")
			printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", lorder[i], ks[j], p[3], p[4], p[5], p[6], p[7], p[8], p[9] >lcsv
		}
}' $logs
plot_bench() {
	local ncol memcpy ceiling=""
	ncol=$(echo $KERNELS | wc -w)
	memcpy=$(awk '$1 == "memcpy" { print $2; exit }' "$out/gbs.dat")
	[ -n "$memcpy" ] && ceiling="set arrow from graph 0, first $memcpy to graph 1, first $memcpy nohead dt 2 lw 2 lc rgb 'black'
set label 'guest memcpy (stock)' at graph 0.01, first $memcpy offset 0,0.7"
	gnuplot <<PLOT
set terminal pngcairo size 1100,560 noenhanced
set output "$out/bench.png"
set title "Migration throughput, release kernels, median of $ROUNDS rounds (GB/s, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "GB/s"
set xtics rotate by -30
set key below
set grid ytics
$ceiling
plot for [i=2:$((ncol + 1))] "$out/gbs.dat" using i:xtic(1) title columnheader(i)
PLOT
}
if ! command -v gnuplot >/dev/null; then
	say "bench: $out/bench.csv, $out/pinned.csv, $out/locality.csv (no gnuplot for the chart; make setup installs it)"
elif plot_bench; then
	say "bench: $out/bench.csv, $out/pinned.csv, $out/locality.csv and the chart $out/bench.png"
else
	say "bench: gnuplot failed; $out/bench.csv, $out/pinned.csv and $out/locality.csv hold the figures"
fi
