#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs on a Debian 12 host, once.
. "$(dirname "$0")/lib.sh"

PACKAGES="linux-source-6.1 qemu-system-x86 busybox-static libnuma-dev
numactl stress-ng ccache build-essential bc bison flex libelf-dev
libssl-dev cpio xz-utils rsync gcc-multilib kmod libcap-dev patch git
util-linux procps e2fsprogs sparse gnuplot-nox trinity"
MIN_FREE_GB=12

# A checkout the guest cannot reach fails here, before any build.
guest_keep_paths >/dev/null

stamp=$BUILD/.setup-done
[ -f "$stamp" ] && [ "$stamp" -nt "$0" ] && exit 0

[ "$(id -u)" = 0 ] || die "setup must run as root (it installs packages with apt-get); try: sudo make ${PM_GOAL:-test}"
command -v apt-get >/dev/null || die "apt-get not found: this harness needs Debian 12 (bookworm)"
mkdir -p "$BUILD"
free_gb=$(df -P -BG "$BUILD" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
[ "$free_gb" -ge "$MIN_FREE_GB" ] ||
	die "only ${free_gb} GiB free under $BUILD; the two kernels and tests need about $MIN_FREE_GB GiB"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	run_logged "$BUILD/apt.log" "apt-get update" apt-get update
	# shellcheck disable=SC2086
	run_logged "$BUILD/apt.log" "apt-get install" \
		apt-get install -y --no-install-recommends $missing ||
		die "apt-get install failed; see $BUILD/apt.log"
fi
[ -r "$BASE_TARBALL" ] || die "$BASE_TARBALL missing after installing linux-source-6.1"
touch "$stamp"
