#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest, as a "bg" load (through guest-load.sh): one bounded
# run of trinity, Debian's syscall fuzzer, as nobody, on the calls that
# move, place or change the mapping of pages. A splat it provokes fails
# the section (check-log.sh); its own failure fails the load. Not in the
# CI plan yet (its memory use made a loaded compaction case miss huge
# pages once); meant for the soak.
set -u
SYSCALLS="move_pages migrate_pages mbind set_mempolicy get_mempolicy
madvise mremap munmap mprotect"
N=${PM_TRINITY_SYSCALLS:-2000}

command -v trinity >/dev/null || { echo "trinity: not installed"; exit 1; }
dir=$(mktemp -d /tmp/trinity.XXXXXX) || exit 1
chown 65534:65534 "$dir"
args=(-q -l off -a 64 -C 2 -N "$N"
      --disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,drm)
for c in $SYSCALLS; do
	args+=(-c "$c")
done
cd "$dir" || exit 1
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups -- trinity "${args[@]}" 2>&1)
status=$?
cd / && rm -rf "$dir"
echo "$out" | grep -E "Ran [0-9]+ syscalls|tainted|Bailing" | sed 's/^/trinity: /'
exit "$status"
