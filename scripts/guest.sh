#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in a QEMU NUMA guest and run a job script in it.
#
#   guest.sh RESULTS_DIR [JOB_SCRIPT]   (no job script: interactive shell)
#
# Topology and limits come from the environment:
#   KERNEL=ours|stock, STOCK=1, FLAVOUR=debug|release|kasan
#   NODES=2 CPUS_PER_NODE=2 MEM_PER_NODE=2048 (MiB)
#   DIMM=0 (MiB of hot-pluggable memory on the last node; 0 for none)
#   PREALLOC=0 (1: the host backs all guest RAM before boot, so that no
#     guest access pays for the host's first touch: make bench)
#   GUEST_TIMEOUT=1800 (s; a guest still running then is killed)
#   ACCEL=tcg (kvm only when asked for)
#   CMDLINE_EXTRA= (more kernel parameters)
. "$(dirname "$0")/lib.sh"

results=${1:?usage: guest.sh RESULTS_DIR [JOB_SCRIPT]}
job=${2:-}
kernel=$(pick_kernel)
flavour=${FLAVOUR:-debug}
image=$(kernel_obj "$kernel" "$flavour")/arch/x86/boot/bzImage
nodes=${NODES:-2}
cpn=${CPUS_PER_NODE:-2}
mem=${MEM_PER_NODE:-2048}
dimm=${DIMM:-0}
timeout=${GUEST_TIMEOUT:-1800}
accel=${ACCEL:-tcg}
backend_opts=""
[ "${PREALLOC:-0}" = 1 ] && backend_opts=",prealloc=on"

[ -f "$image" ] || die "no kernel at $image; build it with: make kernel KERNEL=$kernel FLAVOUR=$flavour"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing; run 'make setup' as root"

qemu_numa_args() {
	local i first
	for ((i = 0; i < nodes; i++)); do
		first=$((i * cpn))
		echo "-object memory-backend-ram,id=mem$i,size=${mem}M$backend_opts"
		echo "-numa node,nodeid=$i,cpus=$first-$((first + cpn - 1)),memdev=mem$i"
	done
	if [ "$dimm" -gt 0 ]; then
		echo "-object memory-backend-ram,id=dimm0mem,size=${dimm}M$backend_opts"
		echo "-device pc-dimm,id=dimm0,memdev=dimm0mem,node=$((nodes - 1))"
	fi
}

memory_arg() {
	local total=$((nodes * mem))
	if [ "$dimm" -gt 0 ]; then
		echo "${total}M,slots=2,maxmem=$((total + 2 * dimm))M"
	else
		echo "${total}M"
	fi
}

rm -rf "$results"
mkdir -p "$results"
if [ -n "$job" ]; then
	cp "$job" "$results/job.sh"
	serial="file:$results/console.log"
else
	touch "$results/interactive"
	serial="mon:stdio"
fi
accel_arg="tcg,thread=multi"
[ "$accel" = kvm ] && accel_arg=kvm
# The guest must see the checkout (its scripts) and build/ (its tests).
keep=$(guest_keep_paths)
cmdline="PM_KEEP=$keep console=ttyS0 root=/dev/root rootfstype=9p ro
rootflags=trans=virtio,version=9p2000.L,msize=512000
init=$REPO/scripts/guest-init.sh panic=-1 nokaslr tsc=reliable
no_timer_check ${CMDLINE_EXTRA:-}"

# shellcheck disable=SC2046
qemu=(qemu-system-x86_64 -accel "$accel_arg" -cpu max -nodefaults
	-smp $((nodes * cpn)),sockets="$nodes",cores="$cpn",threads=1
	-m "$(memory_arg)" $(qemu_numa_args)
	-kernel "$image" -append "$(echo $cmdline)"
	-fsdev local,id=root,path=/,security_model=none,readonly=on
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev local,id=res,path="$results",security_model=none
	-device virtio-9p-pci,fsdev=res,mount_tag=results
	-device virtio-balloon-pci,id=balloon0
	-qmp unix:"$results/qmp.sock",server=on,wait=off
	-display none -no-reboot -serial "$serial")

if [ -z "$job" ]; then
	heavy "${qemu[@]}"
	exit 0
fi

say "booting $kernel-$flavour: $nodes nodes x $cpn CPUs x $mem MiB$([ "$dimm" -gt 0 ] && echo ", DIMM ${dimm} MiB on node $((nodes - 1))"), limit ${timeout} s"
start=$(date +%s)
heavy timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$results/qemu.log" 2>&1 &
qpid=$!
# Balloon requests from the guest (see scripts/qmp-balloon.py).
python3 "$REPO/scripts/qmp-balloon.py" "$results" "$qpid" &
# Stream the job's output as it appears, so progress shows.
touch "$results/output.log"
tail -n +1 -F "$results/output.log" 2>/dev/null --pid=$qpid &
set +e
wait "$qpid"
qstatus=$?
set -e
sleep 1
elapsed=$(($(date +%s) - start))
if [ "$qstatus" = 124 ] || [ "$qstatus" = 137 ]; then
	echo "GUEST-HUNG: killed after $elapsed s (limit $timeout s); see $results/console.log" >"$results/guest-error"
elif [ ! -f "$results/exit-status" ]; then
	echo "GUEST-DIED: no exit status after $elapsed s (qemu status $qstatus); see $results/console.log" >"$results/guest-error"
fi
if [ -f "$results/guest-error" ]; then
	cat "$results/guest-error" >&2
	tail -n 30 "$results/console.log" >&2 || true
	exit 2
fi
say "guest finished in $elapsed s (job status $(cat "$results/exit-status"))"
exit "$(cat "$results/exit-status")"
