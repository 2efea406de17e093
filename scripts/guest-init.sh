#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test guest. The root is the host's / over 9p, read-only;
# the results share holds job.sh, which we run, and takes its output.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp /root /mnt /media; do
	mount -t tmpfs tmpfs "$d"
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
sleep 10
