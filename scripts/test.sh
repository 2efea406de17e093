#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make test: build the kernel (debug flavour by default) and the tests,
# boot the guest, run the plan, and judge: TAP results, expected
# failures, a hung or dead guest, and kernel splats.
. "$(dirname "$0")/lib.sh"

kernel=$(pick_kernel)
export FLAVOUR=${FLAVOUR:-debug}
results=${RESULTS:-$BUILD/results/test-$kernel-$FLAVOUR}

bash "$REPO/scripts/setup.sh"
bash "$REPO/scripts/prepare-tree.sh"
bash "$REPO/scripts/build-kernel.sh"
bash "$REPO/scripts/build-tests.sh"

job=$(mktemp)
trap 'rm -f "$job"' EXIT
cat >"$job" <<JOB
export T=$TESTS_OUT REPO=$REPO PM_KERNEL=$kernel ONLY='${ONLY:-}'
bash $REPO/scripts/guest-plan.sh
JOB
set +e
GUEST_TIMEOUT=${GUEST_TIMEOUT:-2700} bash "$REPO/scripts/guest.sh" "$results" "$job"
gstatus=$?
set -e

tap=$results/results.tap
touch "$tap"
n=$(wc -l <"$tap")
if [ -f "$results/guest-error" ]; then
	echo "not ok $((n + 1)) guest ran the plan to the end # $(cat "$results/guest-error")" >>"$tap"
elif [ "$gstatus" != 0 ]; then
	echo "not ok $((n + 1)) guest ran the plan to the end # job exit status $gstatus" >>"$tap"
else
	echo "ok $((n + 1)) guest ran the plan to the end" >>"$tap"
fi
if splats=$(bash "$REPO/scripts/check-log.sh" "$results/console.log"); then
	echo "ok $((n + 2)) kernel log has no splat" >>"$tap"
else
	echo "not ok $((n + 2)) kernel log has no splat # $(echo "$splats" | head -n 1)" >>"$tap"
	echo "$splats" | sed 's/^/# splat: /'
fi
tail -n 2 "$tap"

passed=$(grep -cE '^ok [0-9]+ [^#]*$' "$tap" || true)
skipped=$(grep -c '^ok .*# SKIP' "$tap" || true)
xfail=$(grep -c '^not ok .*# XFAIL' "$tap" || true)
failed=$(grep '^not ok' "$tap" | grep -vc '# XFAIL' || true)
echo
echo "results: $tap ($kernel-$FLAVOUR, $(uname -n))"
grep -E '^not ok' "$tap" | sed 's/^/  /' || true
echo "xfail: $xfail (expected failures, scripts/expected-failures)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
