# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts. Source it; do not run it.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
BASE_TARBALL=${BASE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
STOCK_SRC=$BUILD/src/linux-source-6.1
OURS_SRC=$BUILD/src/ours
# The released peer of make bench PEER=6.12 (scripts/fetch-peer.sh).
PEER_VERSION=${PEER_VERSION:-6.12}
PEER_SRC=$BUILD/src/linux-source-$PEER_VERSION
TESTS_OUT=$BUILD/tests
HEAVY_LOCK=${HEAVY_LOCK:-/tmp/pm-heavy.lock}

. "$REPO/scripts/guest-paths.sh"

# The repo paths that are laid over the base tree.
OVERLAY_DIRS="mm include Documentation tools"

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

# Run a command with its output in a log, printing a progress line
# every 30 s so that nothing sits silent. Prints the log tail on error.
run_logged() {
	local log=$1 what=$2
	shift 2
	local pid start last
	start=$(date +%s)
	"$@" >"$log" 2>&1 &
	pid=$!
	last=$start
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $(($(date +%s) - last)) -ge 30 ]; then
			last=$(date +%s)
			say "$what: $((last - start)) s, $(tail -n 1 "$log" | cut -c1-100)"
		fi
	done
	if ! wait "$pid"; then
		tail -n 40 "$log" >&2
		die "$what failed after $(($(date +%s) - start)) s; full log: $log"
	fi
	say "$what: done in $(($(date +%s) - start)) s"
}

# Serialise CPU-heavy work (kernel builds, guests) between users of
# this machine: it has 2 cores.
heavy() {
	flock -n "$HEAVY_LOCK" true ||
		say "waiting for another kernel build or guest on this machine ($HEAVY_LOCK)" >&2
	flock "$HEAVY_LOCK" "$@"
}

# Everything a guest run needs: packages, the trees, the kernel of
# KERNEL/STOCK and FLAVOUR, and the tests.
build_for_guest() {
	bash "$REPO/scripts/setup.sh"
	bash "$REPO/scripts/prepare-tree.sh"
	bash "$REPO/scripts/build-kernel.sh"
	bash "$REPO/scripts/build-tests.sh"
}

# The kernel to use, from KERNEL= or STOCK=1.
pick_kernel() {
	if [ "${STOCK:-0}" = 1 ]; then
		echo stock
	else
		echo "${KERNEL:-ours}"
	fi
}

kernel_src() {
	case $1 in
	ours) echo "$OURS_SRC" ;;
	stock) echo "$STOCK_SRC" ;;
	peer) echo "$PEER_SRC" ;;
	*) die "unknown kernel '$1' (ours, stock or peer)" ;;
	esac
}

kernel_obj() {
	echo "$BUILD/obj/$1-$2"
}

# The checkout and build/ as the guest is given them (PM_KEEP), or die
# with the reason when it cannot be: before anything is built or booted.
guest_keep_paths() {
	local p problem keep=""
	for p in "$REPO" "$BUILD"; do
		p=$(realpath -m "$p")
		problem=$(guest_path_problem "$p")
		[ -z "$problem" ] || die "the guest cannot reach $p: $problem"
		keep="$keep${keep:+,}$p"
	done
	echo "$keep"
}
