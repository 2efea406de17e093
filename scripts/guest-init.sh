#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test guest. The root is the host's / over 9p, read-only;
# the results share holds job.sh, which we run, and takes its output.
# PM_KEEP (kernel command line): comma-separated host paths to keep
# visible under the tmpfs mounts.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Empty tmpfs over the writable places; the checkout and build folder
# (PM_KEEP, from the kernel command line) stay visible even when they
# are below one of them, as /root/x or /tmp/x are.
. "$(dirname "$0")/guest-paths.sh"
mkdir -p "$GUEST_HOST_VIEW"
mount --bind / "$GUEST_HOST_VIEW"
IFS=, read -r -a keep <<<"${PM_KEEP:-}"
for d in $GUEST_TMPFS_DIRS; do
	mount -t tmpfs tmpfs "$d"
	for p in $(guest_binds "$d" "${keep[@]}"); do
		mkdir -p "$p"
		mount --bind "$GUEST_HOST_VIEW$p" "$p" ||
			echo "pm-guest: cannot show $p; the tests will not find it"
	done
done
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /mnt/results /mnt/scratch
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /mnt/results
hostname pm-guest
ln -sf /proc/self/fd /dev/fd 2>/dev/null

cd /mnt/results || exit 1
status=1
if [ -f interactive ]; then
	echo "guest shell on $(uname -r); exit or Ctrl-D powers off"
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	status=0
else
	bash /mnt/results/job.sh >/mnt/results/output.log 2>&1
	status=$?
fi
dmesg >/mnt/results/dmesg.txt
echo "$status" >/mnt/results/exit-status
sync
cd / && umount /mnt/results
echo o >/proc/sysrq-trigger
# Wait without a fork or an exec: the power-off takes CPUs and the 9p
# root down under us.  A new task woken on a CPU that is gone warns
# ("Unexpected reschedule of offline CPU"), and sleep(1) may no longer
# be readable; init exiting would then panic.
while :; do :; done
